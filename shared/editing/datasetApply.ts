/**
 * "Use this dataset": one edit that points the project at a scanned dataset and makes the model fit
 * it (Input shape, last layer units and activation, loss).
 */
import type { DatasetReport } from '../api/types.js';
import type { ProjectDocument } from '../graph/document.js';
import { setDataset, setParam, setTraining } from '../graph/operations.js';
import { DEFAULT_TRAINING } from '../training/settings.js';
import { getBlock, blockRole } from '../blocks/registry.js';

/** What `applyDataset` changed, for the confirmation message. */
export interface DatasetChanges {
  readonly doc: ProjectDocument;
  readonly changes: readonly string[];
}

/** Points the project at a dataset and fits Input and output to it. `path` is stored as typed. */
export function applyDataset(doc: ProjectDocument, report: DatasetReport, path: string): DatasetChanges {
  const changes: string[] = [];
  // A CSV's target is stored by name, so the project keeps predicting that column if columns move.
  let next = setDataset(doc, { path, kind: report.kind, ...(report.csv ? { targetColumn: report.csv.target } : {}) });
  changes.push(report.csv ? `dataset → ${path}, predicting “${report.csv.target}”` : `dataset → ${path}`);
  const input = next.nodes.find((n) => blockRole(n.type) === 'input');
  if (input && report.inputShape) {
    next = setParam(next, input.id, 'shape', [...report.inputShape]);
    changes.push(`${input.label} shape → (${report.inputShape.map((d) => (d === null ? 'None' : d)).join(', ')})`);
  }
  const output = next.nodes.find((n) => blockRole(n.type) === 'output');
  const feed = output ? next.edges.find((e) => e.target === output.id) : undefined;
  const last = feed ? next.nodes.find((n) => n.id === feed.source) : undefined;
  const lastDef = last ? getBlock(last.type) : undefined;
  if (last && lastDef) {
    if (lastDef.params.some((p) => p.name === 'units') && last.params.units !== report.outputUnits) {
      next = setParam(next, last.id, 'units', report.outputUnits);
      changes.push(`${last.label} units → ${report.outputUnits}`);
    }
    const activation = lastDef.params.find((p) => p.name === 'activation');
    if (activation?.options?.includes(report.suggestedActivation) && last.params.activation !== report.suggestedActivation) {
      next = setParam(next, last.id, 'activation', report.suggestedActivation);
      changes.push(`${last.label} activation → ${report.suggestedActivation}`);
    }
  }
  const training = next.training ?? DEFAULT_TRAINING;
  if (training.loss !== report.suggestedLoss) {
    next = setTraining(next, { ...training, loss: report.suggestedLoss });
    changes.push(`loss → ${report.suggestedLoss}`);
  } else if (!next.training) {
    next = setTraining(next, training);
  }
  return { doc: next, changes };
}
