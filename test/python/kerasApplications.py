"""Builds keras.applications models for the import tests, in one process.

Usage: python3 kerasApplications.py OUT_DIR  -> prints one JSON object on the last stdout line.

Each model is built with weights=None (nothing is downloaded) at a small input size (the parameter
count does not depend on it), gets seeded random non-zero weights (kernels scaled by 1/sqrt(fan-in)
so that activations stay of order one through 50+ layers; BatchNormalization variances in
[0.5, 1.5]) and is saved as OUT_DIR/<id>/model.keras with two random inputs (inputs.npz) and Keras's
predictions on them (keras_outputs.npz). Reports per model: total and trainable parameter counts,
the layer classes, and the seconds Keras took to build, save and predict. ConvNeXtTiny (with
drop_path_rate > 0, so it holds StochasticDepth layers too) is only built and saved: Layerloom
refuses it, and the test checks the report.
"""
import json
import os
import sys
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow 2.21's oneDNN kernels stop the process with a divide error (SIGFPE) predicting ResNet50
# at 32×32 and 64×64; its plain kernels compute the same model.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def randomize(model, seed):
    import numpy as np

    rs = np.random.RandomState(seed)
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        if w.path.endswith("variance"):
            values.append(rs.uniform(0.5, 1.5, shape).astype("float32"))
        elif w.path.endswith("mean") or len(shape) <= 1:
            values.append(rs.uniform(-0.5, 0.5, shape).astype("float32"))
        else:
            # Kernels: fan-in is every axis but the last (a depthwise kernel's is its window).
            fan_in = int(np.prod(shape[:-1])) if len(shape) != 4 or "depthwise" not in w.path else int(np.prod(shape[:2]))
            limit = np.sqrt(3.0 / max(fan_in, 1))
            values.append(rs.uniform(-limit, limit, shape).astype("float32"))
    model.set_weights(values)
    for layer in model._flatten_layers():
        if layer.__class__.__name__ == "Normalization":
            layer.finalize_state()


def convnext_tiny_with_drop_path():
    """ConvNeXtTiny as keras.applications builds it, with drop_path_rate=0.1 (StochasticDepth layers).

    The public ConvNeXtTiny() has no drop_path_rate argument; it calls this builder with 0.
    """
    from keras.src.applications import convnext

    tiny = convnext.MODEL_CONFIGS["tiny"]
    return convnext.ConvNeXt(
        depths=tiny["depths"], projection_dims=tiny["projection_dims"], drop_path_rate=0.1, default_size=tiny["default_size"],
        name="convnext_tiny", input_shape=(32, 32, 3), weights=None,
    )


def main():
    import numpy as np

    try:
        import keras
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"error": f"cannot import keras: {e}"}))
        return
    out = sys.argv[1]
    apps = keras.applications
    # id -> (builder, input range); EfficientNet rescales [0, 255] pixels itself, the others take [-1, 1].
    models = {
        "MobileNetV2": (lambda: apps.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3), weights=None), (-1, 1)),
        "ResNet50": (lambda: apps.ResNet50(input_shape=(32, 32, 3), weights=None), (-1, 1)),
        "DenseNet121": (lambda: apps.DenseNet121(input_shape=(32, 32, 3), weights=None), (-1, 1)),
        "EfficientNetB0": (lambda: apps.EfficientNetB0(input_shape=(32, 32, 3), weights=None), (0, 255)),
        "ConvNeXtTiny": (convnext_tiny_with_drop_path, None),
    }
    results = []
    for i, (name, (build, value_range)) in enumerate(models.items()):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        try:
            started = time.time()
            model = build()
            classes = sorted({layer.__class__.__name__ for layer in model._flatten_layers(include_self=False)})
            trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
            entry = {"id": name, "total": int(model.count_params()), "trainable": trainable, "classes": classes}
            if value_range is not None:
                randomize(model, 300 + i)
            model.save(os.path.join(d, "model.keras"))
            if value_range is not None:
                rs = np.random.RandomState(40 + i)
                x = rs.uniform(value_range[0], value_range[1], (2,) + tuple(model.inputs[0].shape[1:])).astype("float32")
                y = np.asarray(model(x, training=False))
                np.savez(os.path.join(d, "inputs.npz"), in0=x)
                np.savez(os.path.join(d, "keras_outputs.npz"), out0=y)
                entry["max_output"] = float(np.abs(y).max())
            entry["seconds"] = round(time.time() - started, 2)
            results.append(entry)
        except Exception as e:  # noqa: BLE001
            results.append({"id": name, "error": str(e), "trace": traceback.format_exc()})
    print(json.dumps({"keras": keras.__version__, "results": results}))


main()
