/**
 * Inputs the Explain view takes besides dataset images: a text file or typed text is encoded with
 * the run's vocabulary exactly as training encoded it (0 pads, 1 is an unknown word, the
 * vocabulary's words from 2), a dropped image is decoded from its bytes as a dataset image, a bad
 * file gets a clear error; a text dataset offers its samples with the start of their text.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { explainSamples, prepareInputFile, prepareText, prepareUpload, type ExplainModel } from '../../electron/services/explainService.js';
import type { Preprocessing } from '../../electron/services/datasets/pipeline.js';
import { emptyDocument } from '../../shared/graph/document.js';
import { firstConvFilters, weightSummaries } from '../../shared/explain/explain.js';

await tf.setBackend('cpu');
const work = mkdtempSync(join(tmpdir(), 'layerloom-explain-input-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function explainModel(input: tf.SymbolicTensor, preprocessing: Preprocessing | null): ExplainModel {
  const output = tf.layers.activation({ activation: 'linear' }).apply(input) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: output }), blockOf: new Map(), preprocessing, provenance: { source: 'folder', args: '', label: 'test' }, notes: [] };
}

const textModel = explainModel(tf.input({ shape: [5], dtype: 'int32' }), { kind: 'text', classes: ['a', 'b'], vocabulary: ['the', 'cat'], oovToken: '[UNK]', sequenceLength: 5, maxTokens: 4 });
const imageModel = explainModel(tf.input({ shape: [4, 4, 1] }), { kind: 'images', height: 4, width: 4, channels: 1, scale: 1 / 255, resize: 'bilinear', classes: ['a', 'b'] });

describe('text is encoded as training encoded it', () => {
  it('a text file: ids from 2 for the vocabulary, 1 for unknown words, 0 for padding', async () => {
    const file = join(work, 'note.txt');
    writeFileSync(file, 'The cat, the DOG.');
    const input = await prepareInputFile(tf, textModel, file);
    expect(Array.from(input.x.dataSync())).toEqual([2, 3, 2, 1, 0]);
    expect(input.tokens).toEqual(['the', 'cat', 'the', 'dog', '']);
    input.x.dispose();
  });

  it('typed text: cut to the sequence length; no words is a clear error; an image model refuses text', () => {
    const input = prepareText(tf, textModel, 'cat cat cat the the the');
    expect(Array.from(input.x.dataSync())).toEqual([3, 3, 3, 2, 2]);
    input.x.dispose();
    expect(() => prepareText(tf, textModel, ' ?! ')).toThrow(/no words to explain/);
    expect(() => prepareText(tf, imageModel, 'a cat')).toThrow(/trained on images, not text/);
  });
});

describe('a dropped file', () => {
  it('an image is decoded from its bytes as a dataset image (grey, resized, scaled)', async () => {
    const png = await sharp(Buffer.from([0, 255, 0, 255, 255, 0, 255, 0, 0, 255, 0, 255, 255, 0, 255, 0].flatMap((v) => [v, v, v])), { raw: { width: 4, height: 4, channels: 3 } })
      .png()
      .toBuffer();
    const input = await prepareUpload(tf, imageModel, { name: 'mine.png', dataUrl: `data:image/png;base64,${png.toString('base64')}` });
    expect(input.x.shape).toEqual([1, 4, 4, 1]);
    expect(Array.from(input.x.dataSync()).slice(0, 4)).toEqual([0, 1, 0, 1]);
    expect(input.image).toMatchObject({ width: 4, height: 4, channels: 1 });
    input.x.dispose();
  });

  it('a bad file gets an error that names it and says what to drop', async () => {
    await expect(prepareUpload(tf, imageModel, { name: 'notes.txt', dataUrl: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}` })).rejects.toThrow(
      /notes\.txt cannot be read as an image .*Drop a PNG, JPEG/,
    );
    await expect(prepareUpload(tf, textModel, { name: 'cat.png', dataUrl: 'data:image/png;base64,AAAA' })).rejects.toThrow(/cat\.png is an image, but this is a text model/);
    await expect(prepareUpload(tf, imageModel, { name: 'x.png', dataUrl: 'not a data url' })).rejects.toThrow(/did not arrive as a file/);
    const text = await prepareUpload(tf, textModel, { name: 'a.txt', dataUrl: `data:text/plain;base64,${Buffer.from('the cat').toString('base64')}` });
    expect(Array.from(text.x.dataSync())).toEqual([2, 3, 0, 0, 0]);
    text.x.dispose();
  });
});

describe('samples of a text dataset', () => {
  it('are offered with the start of their text, a few per class', async () => {
    for (const label of ['rain', 'sun']) {
      mkdirSync(join(work, 'texts', label), { recursive: true });
      for (let i = 0; i < 3; i++) writeFileSync(join(work, 'texts', label, `${i}.txt`), `${label} text\n number ${i}   ${'x'.repeat(200)}`);
    }
    const doc = { ...emptyDocument(), dataset: { path: join(work, 'texts') } } as ReturnType<typeof emptyDocument>;
    const samples = await explainSamples(doc, null, 2);
    expect(samples.map((s) => s.label)).toEqual(['rain', 'rain', 'sun', 'sun']);
    expect(samples[0].snippet).toMatch(/^rain text number 0 x+$/);
    expect(samples[0].snippet).toHaveLength(120);
    expect(samples[0].thumbnail).toBeUndefined();
  });
});

describe('the weights view', () => {
  it('each weight tensor of a block with its histogram; the first Conv2D kernel as filters', () => {
    const input = tf.input({ shape: [5, 5, 1] });
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c1' });
    const dense = tf.layers.dense({ units: 2, name: 'd1' });
    const model = tf.model({ inputs: input, outputs: dense.apply(tf.layers.flatten().apply(conv.apply(input))) as tf.SymbolicTensor });
    const kernel = Float32Array.from({ length: 36 }, (_, i) => i / 10 - 1);
    conv.setWeights([tf.tensor(kernel, [3, 3, 1, 4]), tf.tensor([0.5, 0.5, 0.5, 0.5])]);
    const [k, b] = weightSummaries(conv);
    expect(k).toMatchObject({ name: 'kernel', shape: [3, 3, 1, 4], trainable: true });
    expect(k.stats.min).toBeCloseTo(-1);
    expect(k.stats.max).toBeCloseTo(2.5);
    expect(k.stats.histogram.reduce((a, c) => a + c, 0)).toBe(36);
    expect(k.stats.deadShare).toBeNull();
    expect(b).toMatchObject({ name: 'bias', shape: [4] });
    expect(b.stats.histogram).toEqual([4]);
    expect(weightSummaries(model.getLayer('d1')).map((w) => w.shape)).toEqual([[36, 2], [2]]);
    const filters = firstConvFilters(model);
    expect(filters?.layer).toBe('c1');
    expect(filters?.shape).toEqual([3, 3, 1, 4]);
    expect(Array.from(filters?.values ?? [])).toEqual(Array.from(kernel));
    expect(firstConvFilters(tf.model({ inputs: input, outputs: tf.layers.flatten().apply(input) as tf.SymbolicTensor }))).toBeNull();
  });
});
