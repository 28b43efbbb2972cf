"""Transformer text classifier: a Keras model exported from Layerloom.

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
from keras import ops

HERE = os.path.dirname(os.path.abspath(__file__))

# Settings saved in the project (paths relative to this file). --data, --epochs,
# --batch-size and --weights override the first four.
DATA = None
EPOCHS = 5
BATCH_SIZE = 32
WEIGHTS = os.path.join(HERE, "weights.npz")
VALIDATION_SPLIT = 0.2
LEARNING_RATE = 0.001
SEED = 42
VOCABULARY_SIZE = 5000  # the Embedding's input_dim
SEQUENCE_LENGTH = 64  # the Input's length


@keras.saving.register_keras_serializable(package="layerloom")
class PositionEmbedding(layers.Layer):
    """Learned position vectors, as keras_hub.layers.PositionEmbedding.

    Holds a (sequence_length, features) table; the output is its first `length` rows,
    broadcast to the input's shape. Add it to the token embeddings.
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.sequence_length, input_shape[-1]),
            initializer=self.initializer,
        )

    def call(self, inputs):
        shape = ops.shape(inputs)
        table = ops.slice(self.embeddings, (0, 0), (shape[-2], shape[-1]))
        return ops.broadcast_to(table, shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            sequence_length=self.sequence_length,
            initializer=keras.initializers.serialize(self.initializer),
        )
        return config


def build_model():
    """Builds the model (uncompiled); layer names are the block labels."""
    tokens = keras.Input(shape=(64,), dtype="int32", name="tokens")
    token_embedding = layers.Embedding(5000, 32, name="token_embedding")(tokens)
    position_embedding = PositionEmbedding(
        sequence_length=64, name="position_embedding"
    )(token_embedding)
    embeddings = layers.Add(name="embeddings")([token_embedding, position_embedding])
    self_attention = layers.MultiHeadAttention(
        num_heads=2, key_dim=16, name="self_attention"
    )(embeddings, embeddings)
    residual_1 = layers.Add(name="residual_1")([embeddings, self_attention])
    norm_1 = layers.LayerNormalization(name="norm_1")(residual_1)
    feed_forward_1 = layers.Dense(64, activation="relu", name="feed_forward_1")(norm_1)
    feed_forward_2 = layers.Dense(32, name="feed_forward_2")(feed_forward_1)
    residual_2 = layers.Add(name="residual_2")([norm_1, feed_forward_2])
    norm_2 = layers.LayerNormalization(name="norm_2")(residual_2)
    pool = layers.GlobalAveragePooling1D(name="pool")(norm_2)
    dropout = layers.Dropout(0.1, name="dropout")(pool)
    predictions = layers.Dense(2, activation="softmax", name="predictions")(dropout)
    return keras.Model(
        inputs=tokens, outputs=predictions, name="transformer_text_classifier"
    )


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
    """Loads a text folder with a subfolder of .txt files per class (names sorted).

    Texts become token ids with TextVectorization, matching the Embedding and Layerloom:
    lower-cased, punctuation stripped, split on whitespace; 5000 ids at most
    (0 = padding, 1 = unknown word, then the most frequent training words); each text
    cut or padded to 64 tokens. Returns (train, validation) datasets of batches;
    validation is None when validation_split is 0.
    """
    options = dict(
        labels="inferred", label_mode="int", batch_size=batch_size, seed=SEED
    )
    if validation_split > 0:
        train, validation = keras.utils.text_dataset_from_directory(
            path, validation_split=validation_split, subset="both", **options
        )
    else:
        train = keras.utils.text_dataset_from_directory(path, **options)
        validation = None
    print(f"Classes: {train.class_names}")
    vectorize = layers.TextVectorization(
        max_tokens=VOCABULARY_SIZE,
        output_mode="int",
        output_sequence_length=SEQUENCE_LENGTH,
    )
    vectorize.adapt(train.map(lambda text, label: text))

    def encode(text, label):
        return vectorize(text), label

    train = train.map(encode, num_parallel_calls=tf.data.AUTOTUNE)
    train = train.prefetch(tf.data.AUTOTUNE)
    if validation is not None:
        validation = validation.map(encode, num_parallel_calls=tf.data.AUTOTUNE)
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
