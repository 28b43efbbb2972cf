/**
 * Per-step seeds for a compiled model's random layers (see compile/seeding.ts for why). Finds every
 * layer that is random in training — tfjs `Dropout`, the dropout of tfjs RNN cells (also inside
 * `Bidirectional`), Layerloom's attention dropout — and returns a function that, given a step's
 * seed, hands each of them a seed of its own drawn from that step's stream. Between two steps
 * the masks change; two runs with the same seed get the same masks at the same step.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { getBlock } from '../blocks/registry.js';
import type { ProjectDocument } from '../graph/document.js';
import { seededRandom } from '../training/split.js';
import type { CompiledModel } from './compile.js';
import { drawSeed } from './seeding.js';
import { CUSTOM_LAYER_CLASSES } from './customLayers.js';
import type { TF } from './tfTypes.js';

type Layer = tfjs.layers.Layer;
type Tensor = tfjs.Tensor;

/** The fields of tfjs layers and cells this module sets; tfjs reads them at every call. */
interface SeedableDropout {
  seed?: number;
}
interface SeedableCell {
  dropout?: number;
  recurrentDropout?: number;
  dropoutFunc?: (input: Tensor, rate: number) => Tensor;
}
interface SeedableAttention {
  dropoutSeed?: number;
}

/** One random layer's way to take the seeds of a step. */
type Reseed = (random: () => number) => void;

/** The cells of an RNN layer, looking inside a Bidirectional wrapper. */
function cellsOf(layer: Layer): SeedableCell[] {
  const l = layer as unknown as { cell?: SeedableCell; forwardLayer?: Layer; backwardLayer?: Layer };
  if (l.forwardLayer && l.backwardLayer) return [...cellsOf(l.forwardLayer), ...cellsOf(l.backwardLayer)];
  return l.cell ? [l.cell] : [];
}

/** Layers that draw their noise from a `seed` field: tfjs's dropouts and Layerloom's noise layers. */
const SEEDED_CLASSES: ReadonlySet<string> = new Set([
  'Dropout',
  'SpatialDropout1D',
  CUSTOM_LAYER_CLASSES.gaussianNoise,
  CUSTOM_LAYER_CLASSES.gaussianDropout,
  CUSTOM_LAYER_CLASSES.spatialDropout2d,
  CUSTOM_LAYER_CLASSES.spatialDropout3d,
]);

/** How a layer takes per-step seeds, or null when it draws nothing at random. */
function reseeder(tf: TF, layer: Layer): Reseed | null {
  const className = layer.getClassName();
  if (SEEDED_CLASSES.has(className)) {
    const d = layer as unknown as SeedableDropout;
    return (random) => {
      d.seed = drawSeed(random);
    };
  }
  if ('dropoutSeed' in layer) {
    const a = layer as unknown as SeedableAttention;
    return (random) => {
      a.dropoutSeed = drawSeed(random);
    };
  }
  const cells = cellsOf(layer).filter((c) => (c.dropout ?? 0) > 0 || (c.recurrentDropout ?? 0) > 0);
  if (cells.length === 0) return null;
  // A cell draws its masks (one per gate, input and recurrent) in a fixed order at each call, so a
  // stream per cell, restarted each step, gives each mask its own reproducible seed.
  const streams = cells.map(() => ({ next: (): number => 0 }));
  cells.forEach((cell, i) => {
    cell.dropoutFunc = (input, rate) => tf.dropout(input, rate, undefined, streams[i].next());
  });
  return (random) => {
    for (const s of streams) {
      const stream = seededRandom(drawSeed(random));
      s.next = () => drawSeed(stream);
    }
  };
}

/** Gives the random layers of a model their seeds for one training step. */
export interface StepRandomness {
  /** Layer names that draw random values in training, in model order. */
  readonly layers: readonly string[];
  /** Sets every random layer's seeds for the step whose seed is `seed` (compile/seeding.ts `stepSeed`). */
  reseed(seed: number): void;
}

/**
 * Prepares a compiled model for seeded training steps. Throws when a block that is random in
 * training (its spec's `randomInTraining`) built a layer this module cannot seed, so a new random
 * block cannot silently make training irreproducible.
 */
export function stepRandomness(compiled: Pick<CompiledModel, 'model' | 'layerNames'>, doc: Pick<ProjectDocument, 'nodes'>, tf: TF): StepRandomness {
  const entries: { name: string; reseed: Reseed }[] = [];
  for (const layer of compiled.model.layers) {
    const r = reseeder(tf, layer);
    if (r) entries.push({ name: layer.name, reseed: r });
  }
  const seeded = new Set(entries.map((e) => e.name));
  for (const node of doc.nodes) {
    const name = compiled.layerNames.get(node.id);
    const def = getBlock(node.type);
    if (name && def?.randomInTraining?.(node.params) && !seeded.has(name)) {
      throw new Error(`Block "${node.label}" (${node.type}) is random in training but its tfjs layer takes no seed, so runs with the same seed would differ. Its runtime needs a seed (shared/compile/stepRandomness.ts).`);
    }
  }
  return {
    layers: entries.map((e) => e.name),
    reseed(seed: number): void {
      const random = seededRandom(seed);
      for (const e of entries) e.reseed(random);
    },
  };
}
