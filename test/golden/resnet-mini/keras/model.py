"""Mini ResNet: a Keras model exported from Layerloom.

build_model() returns the model, uncompiled; load_weights() loads the weights exported
with it.

Train it on the project's dataset (see README.md for the options and the data layout):

    python model.py --data DATA --epochs N
"""

import argparse
import contextlib
import json
import os
import tempfile

# Distribution strategies and data pipelines below are TensorFlow's.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import tensorflow as tf
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))

# Settings saved in the project (paths relative to this file). --data, --epochs,
# --batch-size and --weights override the first four.
DATA = os.path.join(HERE, "../assets/datasets/digits")
EPOCHS = 5
BATCH_SIZE = 32
WEIGHTS = os.path.join(HERE, "weights.npz")
VALIDATION_SPLIT = 0.2
LEARNING_RATE = 0.001
SEED = 42


def build_model():
    """Builds the model (uncompiled); layer names are the block labels."""
    image = keras.Input(shape=(28, 28, 1), dtype="float32", name="image")
    conv2d = layers.Conv2D(
        16, (3, 3), padding="same", use_bias=False, name="conv2d"
    )(image)
    batch_normalization = layers.BatchNormalization(name="batch_normalization")(conv2d)
    activation = layers.Activation("relu", name="activation")(batch_normalization)
    conv2d_1 = layers.Conv2D(
        16, (3, 3), padding="same", use_bias=False, name="conv2d_1"
    )(activation)
    batch_normalization_1 = layers.BatchNormalization(
        name="batch_normalization_1"
    )(conv2d_1)
    activation_1 = layers.Activation("relu", name="activation_1")(batch_normalization_1)
    conv2d_2 = layers.Conv2D(
        16, (3, 3), padding="same", use_bias=False, name="conv2d_2"
    )(activation_1)
    batch_normalization_2 = layers.BatchNormalization(
        name="batch_normalization_2"
    )(conv2d_2)
    block1_add = layers.Add(name="block1_add")([activation, batch_normalization_2])
    block1_out = layers.Activation("relu", name="block1_out")(block1_add)
    conv2d_3 = layers.Conv2D(
        32, (3, 3), strides=(2, 2), padding="same", use_bias=False, name="conv2d_3"
    )(block1_out)
    batch_normalization_3 = layers.BatchNormalization(
        name="batch_normalization_3"
    )(conv2d_3)
    activation_2 = layers.Activation("relu", name="activation_2")(batch_normalization_3)
    conv2d_4 = layers.Conv2D(
        32, (3, 3), padding="same", use_bias=False, name="conv2d_4"
    )(activation_2)
    batch_normalization_4 = layers.BatchNormalization(
        name="batch_normalization_4"
    )(conv2d_4)
    block2_add = layers.Add(name="block2_add")([activation_2, batch_normalization_4])
    block2_out = layers.Activation("relu", name="block2_out")(block2_add)
    global_average_pooling2d = layers.GlobalAveragePooling2D(
        name="global_average_pooling2d"
    )(block2_out)
    predictions = layers.Dense(
        10, activation="softmax", name="predictions"
    )(global_average_pooling2d)
    return keras.Model(inputs=image, outputs=predictions, name="mini_resnet")


def load_weights(model, path):
    """Loads weights exported by Layerloom: a .npz of model.get_weights() arrays."""
    with np.load(path) as data:
        names = list(data.files)
        arrays = [data[name] for name in names]
    variables = model.weights
    if len(arrays) != len(variables):
        raise ValueError(
            f"{path} holds {len(arrays)} arrays, but the model has {len(variables)} "
            "weights: it was exported for a different graph."
        )
    for name, array, variable in zip(names, arrays, variables):
        if tuple(array.shape) != tuple(variable.shape):
            raise ValueError(
                f"{path}: {name} has shape {array.shape}, "
                f"but {variable.path} needs {variable.shape}."
            )
    model.set_weights(arrays)


def load_data(path, batch_size, validation_split):
    """Loads an image folder with a subfolder of images per class (names sorted).

    As Layerloom does when it trains: images are resized to 28x28 (bilinear, grayscale)
    and pixels divided by 255. Returns (train, validation) datasets of batches;
    validation is None when validation_split is 0.
    """
    options = dict(
        labels="inferred",
        label_mode="int",
        color_mode="grayscale",
        image_size=(28, 28),
        batch_size=batch_size,
        seed=SEED,
    )
    if validation_split > 0:
        train, validation = keras.utils.image_dataset_from_directory(
            path, validation_split=validation_split, subset="both", **options
        )
    else:
        train = keras.utils.image_dataset_from_directory(path, **options)
        validation = None
    print(f"Classes: {train.class_names}")

    def scale(x, y):
        return x / 255.0, y

    train = train.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
    train = train.prefetch(tf.data.AUTOTUNE)
    if validation is not None:
        validation = validation.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
        validation = validation.prefetch(tf.data.AUTOTUNE)
    return train, validation


def make_strategy(kind):
    """The tf.distribute strategy for --distribute, or None to train on one device."""
    if kind == "mirrored":
        # Synchronous data parallelism over all GPUs of this machine.
        return tf.distribute.MirroredStrategy()
    if kind == "multiworker":
        # Synchronous training on several machines; each reads its role from TF_CONFIG.
        return tf.distribute.MultiWorkerMirroredStrategy()
    return None


def is_chief():
    """True on the worker that saves checkpoints (the chief, else worker 0)."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = config.get("task", {})
    if not task:
        return True
    if "chief" in config.get("cluster", {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and task.get("index", 0) == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=DATA, required=DATA is None, help="dataset folder or CSV file"
    )
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help="global batch (all devices)"
    )
    parser.add_argument(
        "--weights", default=WEIGHTS, help='initial weights (.npz) or "none"'
    )
    parser.add_argument(
        "--output", default="training_output", help="checkpoints and model folder"
    )
    parser.add_argument(
        "--distribute",
        choices=["none", "mirrored", "multiworker"],
        default="none",
        help="mirrored: all local GPUs; multiworker: machines listed in TF_CONFIG",
    )
    args = parser.parse_args()
    keras.utils.set_random_seed(SEED)

    train, validation = load_data(args.data, args.batch_size, VALIDATION_SPLIT)

    strategy = make_strategy(args.distribute)
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = build_model()
        if args.weights.lower() != "none" and os.path.exists(args.weights):
            load_weights(model, args.weights)
            print(f"Loaded weights from {args.weights}")
        model.compile(
            optimizer=keras.optimizers.Adam(
                learning_rate=LEARNING_RATE, beta_1=0.9, beta_2=0.999, epsilon=1e-7
            ),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    model.summary()

    # Non-chief workers of a multi-worker run write their copies to a scratch folder.
    output = args.output if is_chief() else tempfile.mkdtemp()
    os.makedirs(output, exist_ok=True)
    monitor = "val_loss" if validation is not None else "loss"
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            os.path.join(output, "best.weights.h5"),
            monitor=monitor,
            save_best_only=True,
            save_weights_only=True,
        ),
        keras.callbacks.ModelCheckpoint(
            os.path.join(output, "last.weights.h5"), save_weights_only=True
        ),
    ]
    model.fit(
        train, validation_data=validation, epochs=args.epochs, callbacks=callbacks
    )
    model.save(os.path.join(output, "model.keras"))
    print(f"Saved the trained model to {os.path.join(output, 'model.keras')}")


if __name__ == "__main__":
    main()
