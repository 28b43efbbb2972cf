"""Saves Keras models in every format Layerloom imports, for the import tests.

Usage: python3 kerasImportFixtures.py JOBS.json  -> prints one JSON object on the last stdout line.

JOBS.json: {"cases": [{"id", "dir"}], "native": DIR}
For each case: imports DIR/model.py (a Layerloom Keras export), calls build_model(), gives every
weight seeded random non-zero values (variances positive), and writes DIR/model.json
(to_json), DIR/model.keras, DIR/model.h5 and, when DIR/inputs.npz exists, the model's outputs on
those inputs to DIR/keras_outputs.npz. "native" models are built here in plain Keras (Sequential,
nested, a Lambda, a shared layer, ...) and saved the same way under NATIVE/<id>/ with their own
inputs.npz. Reports per case: total and trainable parameter counts. A case that fails: {"id", "error"}.
"""
import importlib.util
import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def randomize(model, seed):
    import numpy as np

    rs = np.random.RandomState(seed)
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        if w.path.endswith("variance"):
            values.append(rs.uniform(0.5, 1.5, shape).astype("float32"))
        else:
            values.append(rs.uniform(-0.5, 0.5, shape).astype("float32"))
    model.set_weights(values)
    # Normalization computes the statistics it uses when built, not when its weights are set.
    for layer in model._flatten_layers():
        if layer.__class__.__name__ == "Normalization":
            layer.finalize_state()


def save_all(model, d, inputs=None, use_predict=False):
    import numpy as np

    with open(os.path.join(d, "model.json"), "w") as f:
        f.write(model.to_json())
    model.save(os.path.join(d, "model.keras"))
    model.save(os.path.join(d, "model.h5"))
    model.save_weights(os.path.join(d, "only.weights.h5"))
    if inputs is None and os.path.exists(os.path.join(d, "inputs.npz")):
        with np.load(os.path.join(d, "inputs.npz")) as data:
            inputs = [data[k] for k in sorted(data.files, key=lambda n: int(n[2:]))]
    if inputs is not None:
        np.savez(os.path.join(d, "inputs.npz"), **{f"in{i}": a for i, a in enumerate(inputs)})
        x = inputs if len(inputs) > 1 else inputs[0]
        out = model.predict(x, verbose=0) if use_predict else model(x, training=False)
        outs = out if isinstance(out, (list, tuple)) else [out]
        np.savez(os.path.join(d, "keras_outputs.npz"), **{f"out{i}": np.asarray(o) for i, o in enumerate(outs)})
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return {"total": int(model.count_params()), "trainable": trainable}


def native_models(keras):
    """Models a user builds in plain Keras, by id."""
    from keras import layers

    def seq():
        return keras.Sequential(
            [keras.Input((8,)), layers.Dense(16, activation="relu"), layers.BatchNormalization(), layers.Dropout(0.1), layers.Dense(3, activation="softmax")],
            name="seq",
        )

    def cnn():
        x = keras.Input((12, 12, 3))
        y = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
        y = layers.MaxPooling2D()(y)
        y = layers.SeparableConv2D(6, 3, padding="same")(y)
        y = layers.BatchNormalization()(y)
        y = layers.GlobalAveragePooling2D()(y)
        return keras.Model(x, layers.Dense(4)(y), name="cnn")

    def nested():
        inner = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="tanh"), layers.Dense(5)], name="encoder")
        x = keras.Input((6,), name="features")
        y = inner(x)
        return keras.Model(x, layers.Dense(2, name="head")(y), name="outer")

    def lambda_and_regularizer():
        x = keras.Input((4,))
        # An activity regularizer (a loss on the layer's output) has no block option; weight regularizers do.
        y = layers.Dense(3, activity_regularizer=keras.regularizers.L2(0.01), name="reg")(x)
        y = layers.Lambda(lambda t: t * 2, name="double")(y)
        return keras.Model(x, y, name="custom")

    def options():
        # Options written as Keras writes them: Conv1D sizes as one-element lists, weight
        # regularizers, BatchNormalization without beta, LayerNormalization over two axes.
        x = keras.Input((8, 3))
        y = layers.Conv1D(4, [3], strides=[1], dilation_rate=[2], padding="same", kernel_regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.001), bias_regularizer=keras.regularizers.L2(0.1), name="conv")(x)
        y = layers.BatchNormalization(center=False)(y)
        y = layers.LayerNormalization(axis=[1, 2], scale=False)(y)
        # Weight constraints the random weights break: predictions must use the weights as saved.
        y = layers.Conv1D(2, [2], strides=[2], kernel_constraint=keras.constraints.MinMaxNorm(1.5, 2.5, rate=0.8, axis=[0, 1]), name="strided")(y)
        y = layers.Flatten()(y)
        head = layers.Dense(2, kernel_regularizer=keras.regularizers.L1(0.01), kernel_constraint=keras.constraints.MaxNorm(0.5), bias_constraint=keras.constraints.NonNeg(), name="head")
        return keras.Model(x, head(y), name="options")

    def shared():
        a = keras.Input((4,), name="a")
        b = keras.Input((4,), name="b")
        d = layers.Dense(3, name="twice")
        return keras.Model([a, b], layers.Add()([d(a), d(b)]), name="shared")

    def gru_default():
        x = keras.Input((5, 3))
        return keras.Model(x, layers.GRU(4)(x), name="gru_default")

    def channels_first():
        # Channels-first layers (Keras transposes around its kernels on CPU, so it predicts them here).
        cf = "channels_first"
        x = keras.Input((2, 9, 8))
        a = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", data_format=cf)(x)
        a = layers.BatchNormalization(axis=1)(a)
        a = layers.AveragePooling2D(2, padding="same", data_format=cf)(a)
        f = layers.Flatten(data_format=cf)(a)
        g = layers.GlobalMaxPooling2D(data_format=cf)(a)
        s = layers.Reshape((4, 6))(a)
        s = layers.Conv1D(3, 2, data_format=cf)(s)
        s = layers.MaxPooling1D(2, padding="same", data_format=cf)(s)
        s = layers.Flatten()(s)
        v = keras.Input((2, 3, 4, 5))
        w = layers.Conv3D(2, 2, data_format=cf)(v)
        w = layers.ZeroPadding3D(((1, 0), (0, 1), (1, 1)), data_format=cf)(w)
        w = layers.Conv3DTranspose(2, 2, strides=2, padding="same", data_format=cf)(w)
        w = layers.Cropping3D(((1, 0), (0, 1), (1, 1)), data_format=cf)(w)
        w = layers.UpSampling3D((1, 2, 1), data_format=cf)(w)
        w = layers.SpatialDropout3D(0.2, data_format=cf)(w)
        w = layers.GlobalAveragePooling3D(data_format=cf)(w)
        y = layers.Concatenate()([f, g, s, w])
        return keras.Model([x, v], layers.Dense(3, activation="softmax")(y), name="channels_first")

    def time_distributed():
        return keras.Sequential(
            [
                keras.Input((3, 6, 6, 2)),
                layers.TimeDistributed(layers.Conv2D(4, 3, activation="relu")),
                layers.TimeDistributed(layers.MaxPooling2D()),
                layers.TimeDistributed(layers.Flatten()),
                layers.TimeDistributed(layers.Dense(5)),
                layers.LSTM(3),
            ],
            name="frames",
        )

    return {
        "seq": seq,
        "cnn": cnn,
        "nested": nested,
        "lambda_and_regularizer": lambda_and_regularizer,
        "shared": shared,
        "gru_default": gru_default,
        "options": options,
        "channels_first": channels_first,
        "time_distributed": time_distributed,
    }


def main():
    import numpy as np

    try:
        import keras
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"error": f"cannot import keras: {e}"}))
        return
    jobs = json.load(open(sys.argv[1]))
    results = []
    for i, case in enumerate(jobs["cases"]):
        try:
            spec = importlib.util.spec_from_file_location(f"export_{i}", os.path.join(case["dir"], "model.py"))
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            model = module.build_model()
            randomize(model, 100 + i)
            results.append({"id": case["id"], **save_all(model, case["dir"])})
        except Exception as e:  # noqa: BLE001
            results.append({"id": case["id"], "error": str(e), "trace": traceback.format_exc()})
    rs = np.random.RandomState(7)
    for i, (name, build) in enumerate(native_models(keras).items()):
        d = os.path.join(jobs["native"], name)
        os.makedirs(d, exist_ok=True)
        try:
            model = build()
            randomize(model, 500 + i)
            inputs = [rs.uniform(-1, 1, (2,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]
            # Keras 3.15's eager call of a strided channels-first Conv2D on CPU differs from its own
            # compiled predict() (up to 0.9 here); predict() equals the channels-last convolution.
            results.append({"id": f"native_{name}", **save_all(model, d, inputs, use_predict=name == "channels_first")})
        except Exception as e:  # noqa: BLE001
            results.append({"id": f"native_{name}", "error": str(e), "trace": traceback.format_exc()})
    print(json.dumps({"keras": keras.__version__, "results": results}))


main()
