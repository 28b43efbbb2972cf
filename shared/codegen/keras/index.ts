/**
 * Python Keras 3 export: `model.py` with `build_model()` (the functional model the app compiles, same
 * layer names and weights layout) and a `main()` that trains it on the project's dataset the Keras
 * way, plus requirements.txt and README.md. Pure and deterministic: same graph → same bytes.
 *
 * model.ts writes build_model() and load_weights(), data.ts the dataset loaders, training.ts the
 * settings and main(), readme.ts README.md; this module puts model.py together.
 */
import type { ProjectDocument } from '../../graph/document.js';
import type { ExportFile } from '../exportFile.js';
import { planModel, type ModelPlan } from '../plan.js';
import { planTraining, type TrainingPlan } from '../training.js';
import { KERAS_VERSION, NUMPY_REQUIREMENT, TENSORFLOW_VERSION } from '../versions.js';
import { dataSections } from './data.js';
import { buildModelFunction, customClasses, loadWeightsFunction } from './model.js';
import type { KerasExportOptions } from './options.js';
import { kerasReadme } from './readme.js';
import { constants, distributeHelpers, mainFunction, mixedPrecisionHelpers } from './training.js';
import { tfliteSections } from './tflite.js';
import { tfjobFiles } from './tfjob.js';

export type { ExportFile } from '../exportFile.js';
export { KERAS_WEIGHTS_FILE, type KerasExportOptions } from './options.js';
export { MIXED_PRECISION_CPU_NOTICE } from './training.js';
export { isTfliteMode, TFLITE_FILE, tfliteLine, tfliteProblem, type TfliteMode } from './tflite.js';

/** The Python header docstring. */
function docstring(doc: Pick<ProjectDocument, 'name'>, plan: ModelPlan, t: TrainingPlan): string {
  const usage = t.dataKind ? '\n\nTrain it on the project\'s dataset (see README.md for the options and the data layout):\n\n    python model.py --data DATA --epochs N\n' : '\n';
  const title = (doc.name || plan.modelName).replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
  return `"""${title}: a Keras model exported from Layerloom.

build_model() returns the model, uncompiled; load_weights() loads the weights exported
with it.${usage}"""`;
}

/** Generates model.py. Throws {@link CompileError} for a graph with errors. */
export function generateKeras(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name' | 'dataset' | 'training'>, opts: KerasExportOptions = {}): string {
  const plan = planModel(doc);
  const t = planTraining(doc, plan);
  const dataDefault = opts.dataPath === undefined ? (doc.dataset?.path ?? null) : opts.dataPath;
  const trains = t.dataKind !== null;
  const custom = customClasses(plan);
  const imports = [
    'import argparse',
    ...(trains ? ['import contextlib'] : []),
    ...(t.dataKind === 'csv' ? ['import csv'] : []),
    ...(trains ? ['import faulthandler'] : []),
    ...(t.dataKind === 'csv' ? ['import io'] : []),
    ...(trains ? ['import json'] : []),
    ...(trains ? ['import math'] : []),
    'import os',
    ...(trains ? ['import re'] : []),
    // faulthandler, signal, socket, subprocess, sys, time: multi-worker runs (the join timeout, --workers).
    ...(trains ? ['import signal', 'import socket', 'import subprocess', 'import sys', 'import tempfile', 'import time'] : []),
    '',
    '# Distribution strategies and data pipelines below are TensorFlow\'s.',
    'os.environ.setdefault("KERAS_BACKEND", "tensorflow")',
    '',
    'import keras',
    'import numpy as np',
    'import tensorflow as tf',
    'from keras import layers',
    ...[...new Set(custom.flatMap((c) => c.imports))].sort(),
  ];
  const sections: string[] = [docstring(doc, plan, t), imports.join('\n'), constants(t, opts, dataDefault)];
  sections.push(...custom.map((c) => c.python));
  sections.push(buildModelFunction(plan));
  sections.push(loadWeightsFunction(plan.steps.some((s) => s.kind === 'layer' && s.call.kerasClass === 'Normalization')));
  const saved = Boolean(opts.preprocessingFile) && t.dataKind !== null;
  sections.push(...dataSections(t, saved));
  sections.push(...tfliteSections(plan, t, saved));
  if (t.dataKind) sections.push(distributeHelpers(), mixedPrecisionHelpers());
  sections.push(mainFunction(t, saved));
  sections.push('if __name__ == "__main__":\n    main()\n');
  const [head, ...rest] = sections.map((s) => s.trimEnd());
  return `${head}\n\n${rest.slice(0, 2).join('\n\n')}\n\n\n${rest.slice(2).join('\n\n\n')}\n`;
}

/** requirements.txt: the versions the export is tested with. */
export function kerasRequirements(): string {
  return `keras==${KERAS_VERSION}.*\ntensorflow==${TENSORFLOW_VERSION}.*\n${NUMPY_REQUIREMENT}\n`;
}

/** model.py, requirements.txt, README.md and, for a model that trains, k8s/tfjob.yaml and k8s/Dockerfile of a Keras export (model.py first). */
export function generateKerasFiles(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name' | 'dataset' | 'training'>, opts: KerasExportOptions = {}): ExportFile[] {
  const plan = planModel(doc);
  const t = planTraining(doc, plan);
  const dataDefault = opts.dataPath === undefined ? (doc.dataset?.path ?? null) : opts.dataPath;
  return [
    { path: 'model.py', content: generateKeras(doc, opts) },
    { path: 'requirements.txt', content: kerasRequirements() },
    { path: 'README.md', content: kerasReadme(doc, plan, t, opts) },
    // A model that trains also runs on a Kubernetes cluster (Kubeflow TFJob).
    ...(t.dataKind ? tfjobFiles(doc.name || plan.modelName, dataDefault) : []),
  ];
}
