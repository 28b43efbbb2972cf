"""Runs the dataset loaders of Layerloom's Keras exports, for the data parity tests.

Usage: python3 loadExports.py JOBS.json OUT.json

JOBS.json: {"loaders": [{"id", "dir", "kind", "data"}], "texts": [...]}. For each loader: imports DIR/model.py and runs its
load_data() on DATA (images, text: batch size 4; csv), and writes to OUT.json per id: the
validation samples' files (relative to DATA; images and text), their inputs flattened ("x",
in load_data's validation order) and their labels. "texts" are run through Keras's
TextVectorization (adapted on them): their tokens go to OUT.json's "tokens".
"""
import importlib.util
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402


def run(job):
    spec = importlib.util.spec_from_file_location(f"model_{job['id']}", os.path.join(job["dir"], "model.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    data, kind = job["data"], job["kind"]
    if kind == "csv":
        _, validation = m.load_data(data, m.VALIDATION_SPLIT)
        x, y = validation
        return {"files": None, "x": np.asarray(x, "float64").ravel().tolist(), "labels": np.asarray(y).ravel().tolist()}
    read = m.read_images if kind == "images" else m.read_texts
    classes, files, labels, _, _, val = read(data, m.VALIDATION_SPLIT)
    _, validation = m.load_data(data, 4, m.VALIDATION_SPLIT)
    xs, ys = [], []
    for bx, by in validation:
        xs.append(np.asarray(bx))
        ys.append(np.asarray(by))
    x = np.concatenate(xs)
    return {
        "files": [os.path.relpath(files[i], data) for i in val],
        "classes": classes,
        "x": x.astype("float64").ravel().tolist(),
        "labels": np.concatenate(ys).ravel().tolist(),
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    out = {}
    for job in jobs["loaders"]:
        out[job["id"]] = run(job)
    if jobs.get("texts"):
        import keras
        import tensorflow as tf

        vectorize = keras.layers.TextVectorization(output_mode="int")
        vectorize.adapt(tf.constant(jobs["texts"]))
        vocab = vectorize.get_vocabulary()
        ids = vectorize(tf.constant(jobs["texts"])).numpy().tolist()
        out["tokens"] = [[vocab[i] for i in row if i != 0] for row in ids]
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(out, f)
    print(json.dumps({"ok": len(out)}))


if __name__ == "__main__":
    main()
