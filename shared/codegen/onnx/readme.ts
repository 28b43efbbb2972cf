/**
 * README.md and predict.py of an ONNX export: what the model takes and returns (names, element
 * types, shapes with a symbolic batch), and a script that runs it with ONNX Runtime.
 */
import type { ProjectDocument } from '../../graph/document.js';
import { NUMPY_REQUIREMENT, ONNXRUNTIME_VERSION } from '../versions.js';
import type { OnnxGraph, OnnxValueInfo } from './graph.js';

function shapeText(v: OnnxValueInfo): string {
  return `(${(v.dims ?? []).join(', ')})`;
}

function table(values: readonly OnnxValueInfo[]): string {
  return ['| name | type | shape |', '| --- | --- | --- |', ...values.map((v) => `| \`${v.name}\` | ${v.type} | \`${shapeText(v)}\` |`)].join('\n');
}

/** README.md of an ONNX export. */
export function onnxReadme(doc: Pick<ProjectDocument, 'name'>, graph: OnnxGraph, externalData: string | null, weightsNote?: string): string {
  const decomposed = [...graph.decompositions.entries()].map(([block, why]) => `- ${block}: ${why}.`);
  return `# ${doc.name || graph.name} (ONNX)

Exported from Layerloom: \`model.onnx\` (opset ${graph.opset}, IR version ${graph.irVersion}) holds the
model and its weights${externalData ? `; the weights are in \`${externalData}\` beside it (ONNX external data: keep the two files together)` : ''}.
It computes what the Keras and TensorFlow.js exports compute (inference: dropout is off).

Tensors are channels-last, as in Keras: an image is \`(batch, height, width, channels)\`.
\`batch\` (and any other named size) may be chosen per call.

## Inputs

${table(graph.inputs)}

## Outputs

${table(graph.outputs)}
${weightsNote ? `\n## Weights\n\n${weightsNote}\n` : ''}
## Run it

    pip install onnxruntime==${ONNXRUNTIME_VERSION}.* "${NUMPY_REQUIREMENT}"
    python predict.py                 # random inputs, prints the outputs' shapes and first rows
    python predict.py x.npy           # one .npy file per input, in the order above
    python predict.py x.npy --save predictions.npz

Any ONNX runtime works the same way (C++, C#, Java, JavaScript, mobile; TensorRT, OpenVINO).
${decomposed.length ? `\n## Blocks written as several ONNX ops\n\n${decomposed.join('\n')}\n` : ''}`;
}

/** predict.py: runs model.onnx with ONNX Runtime on .npy inputs (or random ones). */
export function onnxPredictScript(graph: OnnxGraph): string {
  const inputs = graph.inputs.map((i) => `    (${JSON.stringify(i.name)}, ${JSON.stringify(i.type)}, [${(i.dims ?? []).map((d) => (typeof d === 'number' ? String(d) : 'None')).join(', ')}]),`);
  return `"""Runs model.onnx with ONNX Runtime.

    python predict.py [INPUT.npy ...] [--save OUT.npz]

With no input files it feeds random inputs (batch 2, variable sizes 8).
"""
import argparse
import os

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))

# (name, element type, shape with None for the batch and other variable sizes)
INPUTS = [
${inputs.join('\n')}
]


def random_input(dtype, shape, rng):
    concrete = [2 if i == 0 else (8 if d is None else d) for i, d in enumerate(shape)]
    if dtype == "int32":
        return rng.integers(0, 2, size=concrete).astype(np.int32)
    return rng.uniform(-1, 1, size=concrete).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", help="one .npy file per model input, in the README's order")
    parser.add_argument("--save", help="write the outputs to this .npz file")
    args = parser.parse_args()
    if args.inputs and len(args.inputs) != len(INPUTS):
        parser.error(f"the model has {len(INPUTS)} input(s) ({', '.join(n for n, _, _ in INPUTS)}); got {len(args.inputs)} file(s)")
    rng = np.random.default_rng(0)
    feeds = {}
    for i, (name, dtype, shape) in enumerate(INPUTS):
        x = np.load(args.inputs[i]) if args.inputs else random_input(dtype, shape, rng)
        feeds[name] = x.astype(np.int32 if dtype == "int32" else np.float32)
    session = ort.InferenceSession(os.path.join(HERE, "model.onnx"), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    outputs = session.run(names, feeds)
    for name, y in zip(names, outputs):
        print(f"{name}: shape {y.shape}")
        print(y[:2])
    if args.save:
        np.savez(args.save, **dict(zip(names, outputs)))
        print(f"wrote {args.save}")


if __name__ == "__main__":
    main()
`;
}
