"""
Writes the Keras 2 `.h5` fixtures of test/fixtures/keras2/ with h5py, following the legacy HDF5
layout tf.keras 2.x (`model.save("m.h5")`) writes: root attributes `keras_version` ("2.15.0"),
`backend` and `model_config` (the Keras 2 config JSON: `batch_input_shape`, `[[name, node, tensor,
kwargs]]` inbound nodes, initializers with `module`/`registered_name` as 2.13+ write them), and a
`model_weights` group with `layer_names` and, per layer, `weight_names` such as `dense/kernel:0` and
datasets at `model_weights/<layer>/<layer>/kernel:0`.

No Keras 2 can be installed on the machines this project is built on (no tf-keras or older keras on
their package index), so these files were NOT saved by Keras 2: they are written here by hand after
that layout, with seeded random weights. Keras 3's own legacy-HDF5 loader reads them (the test checks
that), which is the evidence that the layout is the one Keras reads.

    python3 test/python/makeKeras2Fixtures.py test/fixtures/keras2
"""
import json
import sys

import h5py
import numpy as np

VERSION = "2.15.0"


def init(cls, config=None):
    return {"module": "keras.initializers", "class_name": cls, "config": config or {}, "registered_name": None}


def dense(name, units, activation):
    return {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation, "use_bias": True,
        "kernel_initializer": init("GlorotUniform", {"seed": None}), "bias_initializer": init("Zeros"),
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
    }


def conv2d(name, filters, kernel, activation):
    return {
        "name": name, "trainable": True, "dtype": "float32", "filters": filters, "kernel_size": [kernel, kernel], "strides": [1, 1],
        "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": activation, "use_bias": True,
        "kernel_initializer": init("GlorotUniform", {"seed": None}), "bias_initializer": init("Zeros"),
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
    }


def write(path, model_config, weights):
    """weights: [(layer_name, [(weight_name, array), ...]), ...] in the model's layer order."""
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = VERSION.encode()
        f.attrs["model_config"] = json.dumps(model_config).encode()
        g = f.create_group("model_weights")
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = VERSION.encode()
        g.attrs["layer_names"] = np.array([n.encode() for n, _ in weights])
        for layer, arrays in weights:
            lg = g.create_group(layer)
            lg.attrs["weight_names"] = np.array([f"{layer}/{w}:0".encode() for w, _ in arrays])
            for w, a in arrays:
                lg.create_dataset(f"{layer}/{w}:0", data=a.astype("float32"))


def main(out):
    rng = np.random.default_rng(16)
    r = lambda *shape: rng.normal(0, 0.5, shape).astype("float32")

    # Functional MLP (tf.keras 2.x: class "Functional", inbound nodes as [[name, node, tensor, kwargs]]).
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False, "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
        {"class_name": "Dense", "config": dense("dense", 8, "relu"), "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"class_name": "Dropout", "config": {"name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.25, "noise_shape": None, "seed": None}, "name": "dropout", "inbound_nodes": [[["dense", 0, 0, {}]]]},
        {"class_name": "Dense", "config": dense("dense_1", 3, "softmax"), "name": "dense_1", "inbound_nodes": [[["dropout", 0, 0, {}]]]},
    ]
    config = {"class_name": "Functional", "config": {"name": "model", "trainable": True, "layers": layers, "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_1", 0, 0]]}, "keras_version": VERSION, "backend": "tensorflow"}
    write(f"{out}/mlp_functional.h5", config, [
        ("input_1", []),
        ("dense", [("kernel", r(4, 8)), ("bias", r(8))]),
        ("dropout", []),
        ("dense_1", [("kernel", r(8, 3)), ("bias", r(3))]),
    ])

    # Sequential CNN (tf.keras 2.x: the InputLayer is listed in the config but not in layer_names).
    layers = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 12, 12, 1], "dtype": "float32", "sparse": False, "ragged": False, "name": "conv2d_input"}},
        {"class_name": "Conv2D", "config": conv2d("conv2d", 4, 3, "relu")},
        {"class_name": "MaxPooling2D", "config": {"name": "max_pooling2d", "trainable": True, "dtype": "float32", "pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}},
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True, "dtype": "float32", "data_format": "channels_last"}},
        {"class_name": "Dense", "config": dense("dense", 5, "softmax")},
    ]
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}, "keras_version": VERSION, "backend": "tensorflow"}
    write(f"{out}/cnn_sequential.h5", config, [
        ("conv2d", [("kernel", r(3, 3, 1, 4)), ("bias", r(4))]),
        ("max_pooling2d", []),
        ("flatten", []),
        ("dense", [("kernel", r(100, 5)), ("bias", r(5))]),
    ])


if __name__ == "__main__":
    main(sys.argv[1])
