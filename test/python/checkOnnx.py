"""Checks Layerloom's ONNX exports with the onnx checker and runs them in ONNX Runtime.

Usage: python3 checkOnnx.py JOBS.json  -> prints one JSON object on the last stdout line.

JOBS.json: {"cases": [{"id", "model", "inputs", "expected"}]}. For each case: onnx.checker.check_model
(full check, with shape inference) on MODEL (a path, so external data is followed), then an ONNX
Runtime CPU session on the arrays of INPUTS (an .npz: in0, in1, ... in model input order); the
outputs are compared with EXPECTED (an .npz: out0, out1, ... in model output order) as
max|a - b| / max|b| per output. onnx or onnxruntime missing: {"error": "..."}; a case that fails:
{"id", "error", "trace"}.
"""
import json
import sys
import traceback


def run_case(onnx, ort, np, case):
    onnx.checker.check_model(case["model"], full_check=True)
    model = onnx.load(case["model"], load_external_data=False)
    inputs = np.load(case["inputs"])
    expected = np.load(case["expected"])
    session = ort.InferenceSession(case["model"], providers=["CPUExecutionProvider"])
    feeds = {}
    for i, info in enumerate(session.get_inputs()):
        feeds[info.name] = inputs[f"in{i}"]
    names = [o.name for o in session.get_outputs()]
    outputs = session.run(names, feeds)
    rel = 0.0
    absolute = 0.0
    shapes = []
    for i, y in enumerate(outputs):
        want = expected[f"out{i}"]
        shapes.append([list(y.shape), list(want.shape)])
        if y.shape != want.shape:
            return {"id": case["id"], "error": f"output {names[i]} has shape {y.shape}, expected {want.shape}"}
        diff = float(np.max(np.abs(y.astype(np.float64) - want))) if y.size else 0.0
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        absolute = max(absolute, diff)
        rel = max(rel, diff / scale if scale > 0 else diff)
    ops = sorted({n.op_type for n in model.graph.node})
    return {
        "id": case["id"],
        "relative": rel,
        "absolute": absolute,
        "opset": model.opset_import[0].version,
        "ir": model.ir_version,
        "ops": ops,
        "inputs": [i.name for i in session.get_inputs()],
        "outputs": names,
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    try:
        import numpy as np
        import onnx
        import onnxruntime as ort
    except ImportError as e:
        print(json.dumps({"error": f"cannot import: {e}"}))
        return
    ort.set_default_logger_severity(3)
    results = []
    for case in jobs["cases"]:
        try:
            results.append(run_case(onnx, ort, np, case))
        except Exception as e:  # reported per case
            results.append({"id": case["id"], "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    print(json.dumps({"onnx": onnx.__version__, "onnxruntime": ort.__version__, "results": results}))


if __name__ == "__main__":
    main()
