"""Builds Layerloom's Keras exports in real Keras and runs them, for the export equivalence tests.

Usage: python3 checkExports.py JOBS.json  -> prints one JSON object on the last stdout line.

JOBS.json: {"cases": [{"id", "dir", "inputs"}], "trains": [{"id", "dir", "args"}],
            "mixed": [{"id", "dir", "args"}], "defaults": {"Class": {"arg": value}}}
For each case: imports DIR/model.py, calls build_model(), counts parameters, loads DIR/weights.npz
with the exported load_weights(), runs the model on the arrays of INPUTS (an .npz, in model input
order) with training=False and saves the outputs to DIR/keras_outputs.npz (in model output order).
"trains" run DIR/model.py's main() with the command-line ARGS (a short training) and report what
it wrote to its --output folder. "mixed" run main() with ARGS (--mixed-precision among them) on a
GPU as TensorFlow would list one, the GPU path on this CPU, and report the dtypes. "defaults" are Layerloom's table of Keras constructor defaults, checked against the signatures of
the installed Keras. Keras missing: {"error": "..."}; a case that fails: {"id", "error"}.
"""
import importlib.util
import inspect
import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def plain(value):
    """A default as lists: Layerloom's {"tuple": [...]} and Python tuples alike, nested ones too."""
    if isinstance(value, dict) and "tuple" in value:
        value = value["tuple"]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def check_defaults(keras, table):
    """Entries of Layerloom's defaults table that do not match Keras's signatures."""
    wrong = []
    for cls, args in table.items():
        layer = getattr(keras.layers, cls, None)
        if layer is None:
            wrong.append(f"{cls}: not a keras.layers class")
            continue
        params = inspect.signature(layer.__init__).parameters
        for name, value in args.items():
            value = plain(value)
            if name not in params:
                wrong.append(f"{cls}.{name}: not an argument")
                continue
            default = plain(params[name].default)
            if name == "activation" and default is None:
                default = "linear"
            if isinstance(value, float) and isinstance(default, (int, float)):
                same = abs(value - default) < 1e-12
            else:
                same = value == default
            if not same:
                wrong.append(f"{cls}.{name}: Layerloom says {value!r}, Keras {default!r}")
    return wrong


def _prod(dims):
    """Product of a shape's sizes, or None when one is variable."""
    p = 1
    for d in dims:
        if d is None:
            return None
        p *= int(d)
    return p


def _rnn_macs(layer, steps):
    cell = layer.cell
    return steps * (_prod(cell.kernel.shape) + _prod(cell.recurrent_kernel.shape))


def model_macs(keras, model):
    """Multiply-accumulates of one forward pass for one sample, counted from the Keras model itself:
    each layer's real weight shapes and output shapes (not Layerloom's formulas). None when a
    variable size decides it."""
    total = 0
    for layer in model.layers:
        name = type(layer).__name__
        inp = layer.input
        if isinstance(inp, (list, tuple)):
            in_shapes = [tuple(t.shape) for t in inp]
        else:
            in_shapes = [tuple(inp.shape)] if hasattr(inp, "shape") else []
        out_shape = tuple(layer.output.shape) if hasattr(layer.output, "shape") else ()
        out_positions = _prod(out_shape[1:-1])
        # TimeDistributed(X): X's count on every step; the time axis is one more output position axis.
        if name == "TimeDistributed":
            layer = layer.layer
            name = type(layer).__name__
        if name in ("Dense", "Conv1D", "Conv2D", "Conv3D"):
            macs = None if out_positions is None else out_positions * _prod(layer.kernel.shape)
        elif name in ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"):
            positions = _prod(in_shapes[0][1:-1])
            macs = None if positions is None else positions * _prod(layer.kernel.shape)
        elif name in ("DepthwiseConv1D", "DepthwiseConv2D"):
            macs = None if out_positions is None else out_positions * _prod(layer.kernel.shape)
        elif name in ("SeparableConv1D", "SeparableConv2D"):
            macs = None if out_positions is None else out_positions * (_prod(layer.depthwise_kernel.shape) + _prod(layer.pointwise_kernel.shape))
        elif name in ("SimpleRNN", "LSTM", "GRU"):
            steps = in_shapes[0][1]
            macs = None if steps is None else _rnn_macs(layer, steps)
        elif name == "Bidirectional":
            steps = in_shapes[0][1]
            macs = None if steps is None else _rnn_macs(layer.forward_layer, steps) + _rnn_macs(layer.backward_layer, steps)
        elif name == "MultiHeadAttention":
            q, v = in_shapes[0], in_shapes[1]
            k = in_shapes[2] if len(in_shapes) > 2 else v
            # Positions: every axis between batch and features (rank 4-5 with attention_axes);
            # each query position scores the key positions along the attention axes.
            tq, tk, tv = _prod(q[1:-1]), _prod(k[1:-1]), _prod(v[1:-1])
            attended = _prod([k[a] for a in layer._attention_axes])
            if None in (tq, tk, tv, attended):
                macs = None
            else:
                heads, key_dim, value_dim = layer.num_heads, layer.key_dim, layer.value_dim
                macs = (
                    tq * _prod(layer.query_dense.kernel.shape)
                    + tk * _prod(layer.key_dense.kernel.shape)
                    + tv * _prod(layer.value_dense.kernel.shape)
                    + tq * _prod(layer.output_dense.kernel.shape)
                    + heads * tq * attended * (key_dim + value_dim)
                )
        else:
            macs = 0
        if macs is None:
            return None
        total += macs
    return total


def run_case(np, keras, case):
    spec = importlib.util.spec_from_file_location(f"export_{case['id']}", os.path.join(case["dir"], "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    total = int(model.count_params())
    trainable = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    module.load_weights(model, os.path.join(case["dir"], "weights.npz"))
    with np.load(case["inputs"]) as data:
        inputs = [data[name] for name in data.files]
    outputs = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    arrays = {f"out{i}": np.asarray(y, dtype="float32") for i, y in enumerate(outputs)}
    np.savez(os.path.join(case["dir"], "keras_outputs.npz"), **arrays)
    return {
        "id": case["id"],
        "total": total,
        "trainable": trainable,
        "macs": model_macs(keras, model),
        "layers": [layer.name for layer in model.layers],
        "weights": [[w.path, list(w.shape)] for w in model.weights],
    }


def run_training(case):
    """Runs the export's main() as `python model.py ARGS` would, in this process."""
    spec = importlib.util.spec_from_file_location(f"train_{case['id']}", os.path.join(case["dir"], "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    saved = sys.argv
    sys.argv = [os.path.join(case["dir"], "model.py"), *case["args"]]
    try:
        module.main()
    finally:
        sys.argv = saved
    output = case["args"][case["args"].index("--output") + 1]
    return {"id": case["id"], "files": sorted(os.listdir(output))}


def run_mixed_precision(case):
    """main() with --mixed-precision as on a machine with a GPU, on this CPU: TensorFlow's
    device list names a GPU, so model.py takes its GPU path (float16 kernels also run on
    the CPU, slowly). Reports the policy, the dtypes the model computes in and the loss."""
    import keras
    import tensorflow as tf

    listed = tf.config.list_physical_devices

    def with_gpu(device_type=None):
        if device_type == "GPU":
            return [tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")]
        return listed(device_type)

    tf.config.list_physical_devices = with_gpu
    spec = importlib.util.spec_from_file_location(f"mixed_{case['id']}", os.path.join(case["dir"], "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        model = module.main(case["args"], verbose=0)
        output = case["args"][case["args"].index("--output") + 1]
        with open(os.path.join(output, "history.json"), encoding="utf-8") as f:
            history = json.load(f)
        return {
            "id": case["id"],
            "policy": keras.mixed_precision.global_policy().name,
            "hidden": sorted({layer.compute_dtype for layer in model.layers[1:-1]}),
            "outputs": [t._keras_history.operation.compute_dtype for t in model.outputs],
            "prediction": str(model(np_random(model)).dtype),
            "weights": sorted({str(w.dtype) for w in model.get_weights()}),
            "optimizer": type(model.optimizer).__name__,
            "loss": history["loss"],
            "files": sorted(os.listdir(output)),
        }
    finally:
        tf.config.list_physical_devices = listed
        keras.mixed_precision.set_global_policy("float32")


def np_random(model):
    """A batch of two random inputs for a one-input model."""
    import numpy as np

    shape = (2, *model.inputs[0].shape[1:])
    return np.random.default_rng(0).random(shape, dtype="float32")


def main(path):
    try:
        import numpy as np
        import keras
    except Exception as e:  # The calling test skips and prints this.
        print(json.dumps({"error": f"cannot import keras: {e}"}))
        return
    with open(path, encoding="utf-8") as f:
        jobs = json.load(f)
    results = []
    for case in jobs["cases"]:
        try:
            results.append(run_case(np, keras, case))
        except Exception as e:
            results.append({"id": case["id"], "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    trains = []
    for case in jobs.get("trains", []):
        try:
            trains.append(run_training(case))
        except BaseException as e:  # SystemExit included: main() exits with a message on bad data.
            trains.append({"id": case["id"], "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    mixed = []
    for case in jobs.get("mixed", []):
        try:
            mixed.append(run_mixed_precision(case))
        except BaseException as e:
            mixed.append({"id": case["id"], "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()})
    sys.stdout.flush()
    print()
    print(
        json.dumps(
            {
                "keras": keras.__version__,
                "defaults": check_defaults(keras, jobs.get("defaults", {})),
                "results": results,
                "trains": trains,
                "mixed": mixed,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
