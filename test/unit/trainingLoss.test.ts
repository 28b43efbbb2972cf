import { describe, expect, it } from 'vitest';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';
import type { ParamValue } from '../../shared/blocks/types.js';
import { imbalanceWarnings } from '../../shared/training/dataset.js';
import { stratifiedSplit } from '../../shared/training/split.js';
import { evaluateClassification, evaluateRegression } from '../../shared/training/evaluation.js';
import { checkLoss, suggestLoss } from '../../shared/training/lossCheck.js';
import type { LossName } from '../../shared/training/settings.js';

/** Input(4) → Dense(units, activation) [→ Dropout] → Output. */
function head(units: number, activation: string, dropout = false): ProjectDocument {
  let doc = emptyDocument('t');
  const nodes: [string, string, Record<string, ParamValue>][] = [
    ['in', 'Input', { shape: [4] }],
    ['d', 'Dense', { units, activation }],
    ...(dropout ? ([['drop', 'Dropout', { rate: 0.5 }]] as [string, string, Record<string, ParamValue>][]) : []),
    ['out', 'Output', {}],
  ];
  for (const [id, type, params] of nodes) doc = addNode(doc, type, { x: 0, y: 0 }, { id, params }).doc;
  for (let i = 1; i < nodes.length; i++) doc = connect(doc, nodes[i - 1][0], nodes[i][0], 'in').doc;
  return doc;
}

const classes = (n: number) => ({ task: 'classification' as const, numClasses: n });
const regression = { task: 'regression' as const, numClasses: 1 };
const codes = (doc: ProjectDocument, loss: LossName, data: Parameters<typeof checkLoss>[2]) =>
  checkLoss(doc, loss, data).map((d) => `${d.severity}:${d.param ?? ''}`);

describe('loss suggestion (auto)', () => {
  it('picks sparse categorical cross-entropy for classes, binary for one sigmoid unit, MSE for numbers', () => {
    expect(suggestLoss(head(10, 'softmax'), classes(10))).toMatchObject({ loss: 'sparse_categorical_crossentropy', units: 10, activation: 'softmax' });
    expect(suggestLoss(head(1, 'sigmoid'), classes(2)).loss).toBe('binary_crossentropy');
    expect(suggestLoss(head(2, 'softmax'), classes(2)).loss).toBe('sparse_categorical_crossentropy');
    expect(suggestLoss(head(1, 'linear'), regression)).toMatchObject({ loss: 'mean_squared_error', activation: 'linear' });
  });
});

describe('LL014 output vs loss', () => {
  it('accepts fitting combinations', () => {
    expect(checkLoss(head(3, 'softmax'), 'auto', classes(3))).toEqual([]);
    expect(checkLoss(head(3, 'softmax', true), 'categorical_crossentropy', classes(3))).toEqual([]);
    expect(checkLoss(head(1, 'sigmoid'), 'auto', classes(2))).toEqual([]);
    expect(checkLoss(head(1, 'linear'), 'mean_absolute_error', regression)).toEqual([]);
  });

  it('names the unit count that would fit, on the prediction layer (through Dropout)', () => {
    const d = checkLoss(head(5, 'softmax', true), 'auto', classes(10));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'LL014', severity: 'error', nodeId: 'd', param: 'units' });
    expect(d[0].message).toMatch(/10 classes.*outputs 5.*Set its units to 10/);
  });

  it('flags raw scores into cross-entropy and odd activations', () => {
    expect(codes(head(3, 'linear'), 'auto', classes(3))).toEqual(['error:activation']);
    expect(codes(head(3, 'sigmoid'), 'auto', classes(3))).toEqual(['warning:activation']);
    expect(codes(head(1, 'softmax'), 'binary_crossentropy', classes(2))).toEqual(['error:activation']);
  });

  it('takes a Softmax block (behind GaussianDropout) as a softmax head', () => {
    let doc = emptyDocument('t');
    const chain: [string, string, Record<string, ParamValue>][] = [
      ['in', 'Input', { shape: [4] }],
      ['d', 'Dense', { units: 3, activation: 'linear' }],
      ['sm', 'Softmax', {}],
      ['gd', 'GaussianDropout', { rate: 0.1 }],
      ['out', 'Output', {}],
    ];
    for (const [id, type, params] of chain) doc = addNode(doc, type, { x: 0, y: 0 }, { id, params }).doc;
    for (let i = 1; i < chain.length; i++) doc = connect(doc, chain[i - 1][0], chain[i][0], 'in').doc;
    expect(checkLoss(doc, 'auto', classes(3))).toEqual([]);
  });

  it('refuses number losses on class labels and class losses on numbers', () => {
    expect(checkLoss(head(3, 'softmax'), 'mean_squared_error', classes(3))[0].message).toMatch(/compares numbers.*3 classes/);
    expect(codes(head(1, 'linear'), 'sparse_categorical_crossentropy', regression)).toEqual(['error:']);
    expect(codes(head(3, 'linear'), 'auto', regression)).toEqual(['error:units']);
    expect(codes(head(1, 'sigmoid'), 'auto', regression)).toEqual(['warning:activation']);
    expect(codes(head(1, 'sigmoid'), 'binary_crossentropy', classes(3))).toEqual(['error:units']);
  });

  it('asks for a flat prediction when the output keeps spatial axes', () => {
    let doc = emptyDocument('t');
    doc = addNode(doc, 'Input', { x: 0, y: 0 }, { id: 'in', params: { shape: [8, 8, 1] } }).doc;
    doc = addNode(doc, 'Dense', { x: 0, y: 0 }, { id: 'd', params: { units: 10, activation: 'softmax' } }).doc;
    doc = addNode(doc, 'Output', { x: 0, y: 0 }, { id: 'out' }).doc;
    doc = connect(doc, 'in', 'd', 'in').doc;
    doc = connect(doc, 'd', 'out', 'in').doc;
    const d = checkLoss(doc, 'auto', classes(10));
    expect(d[0].message).toMatch(/\(None, 8, 8, 10\).*Flatten/);
  });
});

describe('split and balance', () => {
  it('splits stratified, reproducibly, disjoint and complete', () => {
    const labels = Array.from({ length: 103 }, (_, i) => (i < 80 ? 0 : i < 100 ? 1 : 2));
    const a = stratifiedSplit(labels.length, 0.25, 42, labels);
    const b = stratifiedSplit(labels.length, 0.25, 42, labels);
    expect(Array.from(a.validation)).toEqual(Array.from(b.validation));
    expect(Array.from(stratifiedSplit(labels.length, 0.25, 43, labels).validation)).not.toEqual(Array.from(a.validation));
    const val = Array.from(a.validation);
    expect(val.filter((i) => labels[i] === 0)).toHaveLength(20);
    expect(val.filter((i) => labels[i] === 1)).toHaveLength(5);
    expect(val.filter((i) => labels[i] === 2)).toHaveLength(1);
    expect(new Set([...a.train, ...a.validation]).size).toBe(103);
    expect(a.train.length + a.validation.length).toBe(103);
    expect(stratifiedSplit(10, 0, 1).validation.length).toBe(0);
  });

  it('warns about small classes', () => {
    expect(imbalanceWarnings([{ name: 'a', count: 100 }, { name: 'b', count: 90 }])).toEqual([]);
    const w = imbalanceWarnings([{ name: 'a', count: 300 }, { name: 'b', count: 20 }, { name: 'c', count: 1 }]);
    expect(w[0]).toMatch(/"b" \(20\), "c" \(1\).*"a" \(300\)/);
    expect(w[1]).toMatch(/"c" has a single sample/);
  });
});

describe('evaluation', () => {
  it('computes accuracy, per-class precision/recall and the confusion matrix', () => {
    const e = evaluateClassification([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ['a', 'b', 'c'], 0.5, 'validation');
    expect(e.accuracy).toBeCloseTo(4 / 6);
    expect(e.confusionMatrix.counts).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(e.perClass.map((c) => [c.name, c.precision, c.recall, c.support])).toEqual([
      ['a', 0.5, 0.5, 2],
      ['b', 2 / 3, 1, 2],
      ['c', 1, 0.5, 2],
    ]);
  });

  it('computes MSE, MAE and R² for regression', () => {
    const e = evaluateRegression([1, 2, 3], [1, 2, 4], 0.3, 'train');
    expect(e.meanSquaredError).toBeCloseTo(1 / 3);
    expect(e.meanAbsoluteError).toBeCloseTo(1 / 3);
    expect(e.r2).toBeCloseTo(0.5);
  });
});
