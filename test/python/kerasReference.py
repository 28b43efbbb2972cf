"""Runs layers in real Keras 3 with given weights and inputs, for the tfjs-vs-Keras numeric tests.

Usage: python3 kerasReference.py CASES.json  → prints one JSON object on the last stdout line:
  {"keras": "3.x", "results": [{"id", "output": [flat floats], "shape", "weights": [[path, shape]...],
                                "trainable", "nonTrainable"}]}
or {"error": "..."} when Keras cannot be imported. Each case gives the Keras class and keyword
arguments exactly as Layerloom's generated code would print them (LayerCall.kerasArgs), an optional
Bidirectional merge mode or TimeDistributed wrapper, call keyword arguments, whether the inputs go in as one list (merge
layers, `listInput`), the inputs and the weights in tfjs order, which must be Keras's order for
`set_weights` to accept them. `customSource`, when given, is the Python of Layerloom's own class
as the exported model.py defines it (the class is taken from it instead of keras.layers).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def keras_object(keras, value):
    """A regularizer or constraint argument (`{"__keras_object__": module, "class_name", "config"}`) built by Keras."""
    if isinstance(value, dict) and "__keras_object__" in value:
        module = getattr(keras, value["__keras_object__"])
        return module.get({"class_name": value["class_name"], "config": value["config"]})
    return value


def main(path):
    try:
        import numpy as np
        import keras
    except Exception as e:  # Reported, and the calling test skips.
        print(json.dumps({"error": f"cannot import keras: {e}"}))
        return
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    results = []
    custom = {}
    for case in cases:
        name = case["kerasClass"]
        if case.get("customSource"):
            if name not in custom:
                namespace = {"keras": keras, "layers": keras.layers}
                exec(case["customSource"], namespace)
                custom[name] = namespace[name]
            layer_class = custom[name]
        else:
            layer_class = getattr(keras.layers, name)
        layer = layer_class(**{k: keras_object(keras, v) for k, v in case["kerasArgs"].items()})
        if case.get("bidirectional"):
            layer = keras.layers.Bidirectional(layer, merge_mode=case["bidirectional"])
        if case.get("timeDistributed"):
            layer = keras.layers.TimeDistributed(layer)
        inputs = [np.asarray(x["data"], dtype=x["dtype"]).reshape(x["shape"]) for x in case["inputs"]]
        call_args = case.get("callArgs", {})
        # Merge layers take their inputs as one list: `Add()([a, b])`.
        args = [inputs] if case.get("listInput") else inputs
        layer(*args, **call_args)  # builds the weights
        layer.set_weights([np.asarray(w["data"], dtype="float32").reshape(w["shape"]) for w in case["weights"]])
        # Normalization copies its weights into constants when built; model.py's load_weights refreshes them too.
        if isinstance(layer, keras.layers.Normalization):
            layer.finalize_state()
        y = np.asarray(layer(*args, **call_args, training=False))
        extra = {}
        if case.get("training"):
            # Random in training: the test compares statistics and the exact parts; deterministic ones exactly.
            extra["trainingOutput"] = np.asarray(layer(*args, **call_args, training=True)).astype("float64").ravel().tolist()
            # Deterministic layers (BatchNormalization) also move weights: the moving statistics.
            extra["weightsAfterTraining"] = [np.asarray(w).astype("float64").ravel().tolist() for w in layer.get_weights()]
        if case.get("step"):
            # One SGD step on mean(y²) (+ the layer's regularization penalties, as fit adds them):
            # the loss Keras reports for it, and the weights after it.
            extra["penalty"] = float(sum(float(np.asarray(l)) for l in layer.losses))
            x_in = [keras.Input(shape=a.shape[1:], dtype=str(a.dtype)) for a in inputs]
            # As the output above: a merge takes its inputs as one list, attention as separate arguments.
            y_out = layer(*([x_in] if case.get("listInput") else x_in), **call_args)
            model = keras.Model(x_in, y_out)
            optimizer = (
                keras.optimizers.Adam(learning_rate=case["step"], beta_1=0.9, beta_2=0.999, epsilon=1e-7)
                if case.get("optimizer") == "adam"
                else keras.optimizers.SGD(learning_rate=case["step"])
            )
            model.compile(optimizer=optimizer, loss="mse")
            target = np.zeros(np.asarray(model(inputs if len(inputs) > 1 else inputs[0])).shape, dtype="float32")
            # Several steps: Keras projects constrained weights after each one.
            for _ in range(case.get("steps", 1)):
                extra["stepLoss"] = float(model.train_on_batch(inputs if len(inputs) > 1 else inputs[0], target))
            extra["weightsAfterStep"] = [np.asarray(w).astype("float64").ravel().tolist() for w in layer.get_weights()]
        results.append(
            {
                **extra,
                "id": case["id"],
                "output": y.astype("float64").ravel().tolist(),
                "shape": list(y.shape),
                "weights": [[w.path, list(w.shape)] for w in layer.weights],
                "trainable": int(sum(np.prod(w.shape) for w in layer.trainable_weights)),
                "nonTrainable": int(sum(np.prod(w.shape) for w in layer.non_trainable_weights)),
            }
        )
    print(json.dumps({"keras": keras.__version__, "results": results}))


if __name__ == "__main__":
    main(sys.argv[1])
