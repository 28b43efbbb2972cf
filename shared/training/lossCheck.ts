/**
 * Output block vs loss vs dataset: picks the loss for `auto`, and reports (LL014) combinations that
 * would train nonsense or fail deep inside TensorFlow: a 10-class dataset on a 5-unit output, raw
 * scores into cross-entropy, a loss that compares numbers on class labels, …
 */
import { analyzeGraph, type GraphAnalysis } from '../analysis/analyze.js';
import { diagnostic, type Diagnostic } from '../analysis/diagnostics.js';
import type { Shape } from '../blocks/types.js';
import type { GraphNode, ProjectDocument } from '../graph/document.js';
import type { DatasetTargetInfo } from './dataset.js';
import type { LossName } from './settings.js';

/** A concrete loss (never `auto`). */
export type ResolvedLoss = Exclude<LossName, 'auto'>;

/** The layer that produces the model's prediction, as the loss check sees it. */
export interface OutputHead {
  /** The layer that makes the prediction (the node wired into the Output, looking through Dropout). */
  readonly node: GraphNode;
  /** Activation applied last: `linear` when none is known. */
  readonly activation: string;
  /** Output shape per sample, or null when analysis could not infer it. */
  readonly shape: Shape | null;
}

/** A loss suggestion and why. */
export interface LossSuggestion {
  readonly loss: ResolvedLoss;
  /** Units and activation the last layer should have for this loss. */
  readonly units: number;
  readonly activation: 'softmax' | 'sigmoid' | 'linear';
  readonly reason: string;
}

// Blocks that pass their input through unchanged at inference, so the activation before them is
// still the one the loss sees.
const TRANSPARENT = new Set(['Dropout', 'GaussianNoise', 'GaussianDropout', 'SpatialDropout1D', 'SpatialDropout2D']);

/** Finds the prediction layer of the first Output block; null when there is none or it is unwired. */
export function outputHead(doc: Pick<ProjectDocument, 'nodes' | 'edges'>, analysis: GraphAnalysis = analyzeGraph(doc)): OutputHead | null {
  const outId = analysis.outputs[0];
  if (!outId) return null;
  const shape = analysis.nodes.get(outId)?.shape ?? null;
  let edge = analysis.nodes.get(outId)?.inputEdges.get('in');
  let info = edge ? analysis.nodes.get(edge.source) : undefined;
  const first = info;
  while (info && TRANSPARENT.has(info.node.type)) {
    edge = info.inputEdges.get('in');
    info = edge ? analysis.nodes.get(edge.source) : undefined;
  }
  const node = (info ?? first)?.node;
  if (!node) return null;
  // A Softmax block is a softmax head as much as a Dense with activation softmax.
  const act = info?.node.type === 'Softmax' ? 'softmax' : info?.node.params.activation;
  const activation = typeof act === 'string' ? act : 'linear';
  return { node, activation, shape };
}

/** Suggests the loss (and last-layer units and activation) for a dataset and output head. */
export function suggestLoss(doc: Pick<ProjectDocument, 'nodes' | 'edges'>, data: DatasetTargetInfo): LossSuggestion {
  if (data.task === 'regression') {
    return { loss: 'mean_squared_error', units: 1, activation: 'linear', reason: 'The target is a number, so the model predicts it directly: mean squared error on a linear output.' };
  }
  const head = outputHead(doc);
  const units = head?.shape && head.shape.length ? head.shape[head.shape.length - 1] : null;
  if (data.numClasses === 2 && units === 1 && head?.activation === 'sigmoid') {
    return { loss: 'binary_crossentropy', units: 1, activation: 'sigmoid', reason: 'Two classes and one sigmoid output: binary cross-entropy (the output is the probability of the second class).' };
  }
  return {
    loss: 'sparse_categorical_crossentropy',
    units: data.numClasses,
    activation: 'softmax',
    reason: `${data.numClasses} classes with integer labels: sparse categorical cross-entropy on a ${data.numClasses}-unit softmax output.`,
  };
}

/** The loss that will be used: the setting, or the suggestion for `auto`. */
export function resolveLoss(doc: Pick<ProjectDocument, 'nodes' | 'edges'>, loss: LossName, data: DatasetTargetInfo): ResolvedLoss {
  return loss === 'auto' ? suggestLoss(doc, data).loss : loss;
}

const PRETTY: Record<ResolvedLoss, string> = {
  sparse_categorical_crossentropy: 'sparse categorical cross-entropy',
  categorical_crossentropy: 'categorical cross-entropy',
  binary_crossentropy: 'binary cross-entropy',
  mean_squared_error: 'mean squared error',
  mean_absolute_error: 'mean absolute error',
};

/**
 * Checks the output block against the loss and the data; returns LL014 diagnostics attached to the
 * prediction layer (errors block training; warnings are advice).
 */
export function checkLoss(doc: Pick<ProjectDocument, 'nodes' | 'edges'>, loss: LossName, data: DatasetTargetInfo): Diagnostic[] {
  const analysis = analyzeGraph(doc);
  const head = outputHead(doc, analysis);
  if (!head || !head.shape) return [];
  const resolved = resolveLoss(doc, loss, data);
  const where = { nodeId: head.node.id };
  const name = `"${head.node.label}"`;
  const out: Diagnostic[] = [];
  const err = (message: string, param?: string) => out.push(diagnostic('LL014', message, param ? { ...where, param } : where));
  const warn = (message: string, param?: string) => out.push(diagnostic('LL014', message, { ...where, severity: 'warning', ...(param ? { param } : {}) }));
  const shape = head.shape;
  const shown = `(None, ${shape.map((d) => (d === null ? 'None' : d)).join(', ')})`;
  const units = shape[shape.length - 1];
  const lossName = PRETTY[resolved];

  if (shape.length !== 1) {
    err(
      `The prediction ${name} has shape ${shown}, but ${data.task === 'regression' ? 'a regression target' : 'a class label'} needs one vector per sample, (None, ${data.task === 'regression' ? 1 : data.numClasses}). ` +
        `Insert Flatten or a global pooling block before the last Dense.`,
    );
    return out;
  }

  if (data.task === 'regression') {
    if (resolved !== 'mean_squared_error' && resolved !== 'mean_absolute_error') {
      err(`${lossName} is for class labels, but this dataset's target is a number. Set the loss to auto or mean squared error.`);
    }
    if (units !== 1) err(`The dataset predicts one number per sample, but ${name} outputs ${units}. Set its units to 1.`, 'units');
    if (head.activation === 'softmax') err(`softmax on ${name} always outputs 1 for a single unit; a number to predict needs a linear output. Set its activation to linear.`, 'activation');
    else if (head.activation === 'sigmoid' || head.activation === 'tanh') {
      warn(`${head.activation} limits ${name}'s output to ${head.activation === 'sigmoid' ? '0…1' : '-1…1'}; a target outside that range cannot be reached. Use a linear activation unless the target is scaled to it.`, 'activation');
    }
    return out;
  }

  const k = data.numClasses;
  if (resolved === 'mean_squared_error' || resolved === 'mean_absolute_error') {
    err(`${lossName} compares numbers, but this dataset has ${k} classes. Set the loss to auto (sparse categorical cross-entropy).`);
    return out;
  }
  if (resolved === 'binary_crossentropy') {
    if (units === 1) {
      if (k !== 2) err(`Binary cross-entropy with one output unit tells two classes apart, but the dataset has ${k}. Set ${name}'s units to ${k}, its activation to softmax and the loss to auto.`, 'units');
    } else if (units !== k) {
      err(`The dataset has ${k} classes but ${name} outputs ${units} values. Set its units to ${k === 2 ? '1' : k}.`, 'units');
    }
    if (head.activation !== 'sigmoid') {
      err(`Binary cross-entropy expects probabilities from a sigmoid, but ${name} uses ${head.activation}. Set its activation to sigmoid.`, 'activation');
    }
    return out;
  }
  // Categorical cross-entropies.
  if (units !== k) {
    err(
      units === 1 && k === 2
        ? `${name} has one output unit: for two classes either set the loss to binary cross-entropy with a sigmoid, or set its units to 2 (softmax).`
        : `The dataset has ${k} classes but ${name} outputs ${units} values. Set its units to ${k}.`,
      'units',
    );
  }
  if (head.activation === 'linear' || head.activation === 'relu') {
    err(`${lossName} expects class probabilities, but ${name} outputs raw scores (${head.activation}). Set its activation to softmax.`, 'activation');
  } else if (head.activation !== 'softmax') {
    warn(`${name} uses ${head.activation}; class probabilities that sum to 1 come from softmax, which ${lossName} assumes. Set its activation to softmax.`, 'activation');
  }
  return out;
}
