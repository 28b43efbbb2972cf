/**
 * The Keras engine's Python side: a small program that imports the exported model.py and trains
 * through its `main()` (so the run exercises the export: its data loading, split, compile and
 * callbacks), adding one Keras callback that speaks to the training worker.
 *
 * Kept as a string (written into the run folder's `keras/` beside model.py at each run), so the
 * packaged app needs no extra resource and every run folder holds the exact program that trained it.
 *
 * Protocol: `python driver.py config.json`. stdout carries only JSON lines (model.py's own prints
 * and the progress bar go to stderr, which the worker keeps in `keras.log`):
 *   {"type": "versions", "python", "tensorflow", "keras", "devices"}  null: does not import
 *   {"type": "begin", "epochs", "steps"}
 *   {"type": "batch", "epoch", "batch", "batches", "logs", "seconds"}   at most every interval
 *   {"type": "epoch", "epoch", "logs", "learning_rate", "seconds", "train_seconds",
 *    "validation_seconds", "weights", "wait"}                          weights: an .npz checkpoint;
 *                                                                      wait: EarlyStopping's, or null
 *   {"type": "stopped", "epoch", "batch", "weights"}                   a stop at a batch boundary
 *   {"type": "end", "weights"}                                         the final weights
 *   {"type": "error", "message"}                                       the traceback's last line
 *   {"type": "position", "step"}                                       multi-worker: reply to `stop`
 * config.json: model, argv (model.py's), scratch, interval_ms, workers and chief (below), and for
 * a resumed run `resume`:
 * {"initial_epoch", "early_stopping": {"best", "best_epoch", "wait", "best_weights"} | null}.
 * stdin: a line `stop` asks for a stop at the next batch boundary; end of input (the worker is
 * gone) ends the process at once, so a killed app never leaves TensorFlow training.
 *
 * One of several workers of a multi-worker run (config `workers` > 1, TF_CONFIG in the
 * environment): every worker must stop after the same step, or the others wait forever in the
 * next collective. So `stop` makes each worker reply at once (from its stdin thread, even while a
 * step waits in a collective) with the last step it finished, and hold at its next batch end; the
 * worker process sends every worker `stop-at N`, N one past the largest step reported, and each
 * stops after step N. No worker can be past N: each holds at most one step after the one it
 * reported. Only the chief (config `chief`) writes weights; the others report nothing else used.
 * SIGINT is ignored: a terminal's Ctrl-C reaches every process of its group, and the stop comes
 * from the worker process (the CLI turns Ctrl-C into a stop at a batch boundary).
 */
export const KERAS_DRIVER = String.raw`"""Layerloom's Keras engine: trains the exported model.py and reports to Layerloom."""

import importlib.util
import json
import math
import os
import re
import signal
import sys
import threading
import time
import traceback

# The worker process decides (a stop line, or closing stdin): see the header.
signal.signal(signal.SIGINT, signal.SIG_IGN)
OUT = os.fdopen(os.dup(1), "w", buffering=1)
# model.py's prints, Keras's summary and warnings go to the log, never into the JSON lines.
os.dup2(2, 1)
sys.stdout = sys.stderr


def send(message):
    OUT.write(json.dumps(message, allow_nan=False) + "\n")
    OUT.flush()


def last_line(error):
    """The traceback's last line, without TensorFlow's op-location prefix."""
    if isinstance(error, SystemExit) and isinstance(error.code, str):
        return error.code
    text = (str(error).strip().splitlines() or [""])[0]
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", text)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def resume_keras(keras, np, resume):
    """Continues a run: model.py's fit starts at the checkpoint's epoch (Keras's initial_epoch),
    and its EarlyStopping keeps the checkpoint's best value and wait (and best weights). model.py
    builds both itself, so they are set here, on the classes, before it runs. Returns a list that
    holds the EarlyStopping once model.py creates it (its wait goes back with each epoch)."""
    made = []
    original_begin = keras.callbacks.EarlyStopping.on_train_begin

    def on_train_begin(self, logs=None):
        original_begin(self, logs)
        made.append(self)
        state = (resume or {}).get("early_stopping")
        if state:
            self.wait = state["wait"]
            if state.get("best") is not None:
                self.best = state["best"]
                self.best_epoch = state["best_epoch"]
            if self.restore_best_weights and state.get("best_weights"):
                with np.load(state["best_weights"]) as f:
                    self.best_weights = [f[f"arr_{i}"] for i in range(len(f.files))]

    keras.callbacks.EarlyStopping.on_train_begin = on_train_begin
    if resume:
        original_fit = keras.Model.fit

        def fit(self, *args, **kwargs):
            kwargs.setdefault("initial_epoch", resume["initial_epoch"])
            return original_fit(self, *args, **kwargs)

        keras.Model.fit = fit
    return made


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        config = json.load(f)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    versions = {"type": "versions", "python": sys.version.split()[0], "executable": sys.executable}
    modules = {}
    for name in ("numpy", "tensorflow", "keras"):
        try:
            modules[name] = __import__(name)
            versions[name] = modules[name].__version__
        except Exception as e:  # noqa: BLE001 - reported to the worker, which names the fix
            versions[name] = None
            versions[name + "_error"] = (type(e).__name__ + ": " + str(e)).splitlines()[0]
    # Listing devices starts TensorFlow's runtime, which a multi-worker strategy must
    # configure first ("Collective ops must be configured at program startup").
    if modules.get("tensorflow") and config.get("workers", 1) <= 1:
        tf = modules["tensorflow"]
        versions["devices"] = [d.name + " (" + d.device_type + ")" for d in tf.config.list_logical_devices()]
    send(versions)
    if len(modules) < 3:
        # The worker says what is missing; nothing more to do here.
        sys.exit(2)
    np = modules["numpy"]
    keras = modules["keras"]
    early_stopping = resume_keras(keras, np, config.get("resume"))
    spec = importlib.util.spec_from_file_location("model", config["model"])
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)

    stop = threading.Event()
    multi = config.get("workers", 1) > 1
    chief = config.get("chief", True)
    # Multi-worker stop: the steps finished (all epochs), whether a stop was asked, and the
    # agreed last step (see the header).
    agreed = threading.Condition()
    steps = {"done": 0, "asked": False, "target": None}

    def read_stdin():
        for line in sys.stdin:
            words = line.split()
            if words == ["stop"]:
                if not multi:
                    stop.set()
                    continue
                with agreed:
                    steps["asked"] = True
                    send({"type": "position", "step": steps["done"]})
            elif len(words) == 2 and words[0] == "stop-at":
                with agreed:
                    steps["target"] = int(words[1])
                    agreed.notify_all()
        # The worker is gone: leave now rather than train for nobody.
        os._exit(3)

    def stop_now():
        """Called at each batch end: whether to stop after this step."""
        if not multi:
            return stop.is_set()
        with agreed:
            steps["done"] += 1
            while steps["asked"] and steps["target"] is None:
                agreed.wait()
            if steps["target"] is None or steps["done"] < steps["target"]:
                return False
            if steps["done"] == steps["target"]:
                # In every worker's log: the step they all agreed on.
                print(f"Stopping after step {steps['done']}, as every worker does", flush=True)
            return True

    threading.Thread(target=read_stdin, daemon=True).start()

    interval = config.get("interval_ms", 100) / 1000.0
    scratch = config["scratch"]
    os.makedirs(scratch, exist_ok=True)
    counter = [0]

    def save_weights(model, tag):
        if not chief:
            return None
        counter[0] += 1
        path = os.path.join(scratch, f"{counter[0]:05d}-{tag}.npz")
        # Archive order is model.get_weights() order (what load_weights() reads back).
        np.savez(path, *[np.asarray(w, dtype=w.dtype) for w in model.get_weights()])
        return path

    def finite(logs):
        # JSON has no NaN or Infinity: those go as strings, which the worker reads back.
        values = {k: float(v) for k, v in logs.items()}
        return {k: v if math.isfinite(v) else str(v).replace("inf", "Infinity").replace("nan", "NaN") for k, v in values.items()}

    class Reporter(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.stopped = False
            self.stopped_mid_epoch = False
            self.diverged = False

        def on_train_begin(self, logs=None):
            self.steps = self.params.get("steps") or 0
            if config.get("resume") and chief:
                # The weights Keras starts from, kept in the run folder to show what it resumed.
                start = os.path.join(os.path.dirname(config["model"]), "start.npz")
                np.savez(start, *[np.asarray(w, dtype=w.dtype) for w in self.model.get_weights()])
            send({"type": "begin", "epochs": self.params.get("epochs"), "steps": self.steps})

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self.epoch_start = time.perf_counter()
            self.last_sent = self.epoch_start
            self.sent_batches = 0
            self.train_seconds = 0.0
            self.test_start = None
            self.validation_seconds = 0.0

        def on_train_batch_end(self, batch, logs=None):
            if self.diverged:
                return
            now = time.perf_counter()
            done = batch + 1
            values = finite(logs or {})
            bad = any(isinstance(v, str) for v in values.values())
            last = self.steps and done >= self.steps
            stopping = stop_now()
            if bad or last or stopping or now - self.last_sent >= interval:
                send({
                    "type": "batch",
                    "epoch": self.epoch,
                    "batch": done,
                    "batches": done - self.sent_batches,
                    "logs": values,
                    "seconds": now - self.last_sent,
                })
                self.last_sent = now
                self.sent_batches = done
            if bad:
                # The worker fails the run (the NaN guard); stop stepping meanwhile.
                self.diverged = True
                self.model.stop_training = True
                return
            if stopping and not self.stopped:
                self.stopped = True
                self.model.stop_training = True
                if not last:
                    path = save_weights(self.model, "stopped")
                    send({"type": "stopped", "epoch": self.epoch, "batch": done, "weights": path})
                    self.stopped_mid_epoch = True

        def on_test_begin(self, logs=None):
            self.test_start = time.perf_counter()

        def on_test_end(self, logs=None):
            if self.test_start is not None:
                self.validation_seconds += time.perf_counter() - self.test_start

        def on_epoch_end(self, epoch, logs=None):
            if self.diverged or self.stopped_mid_epoch:
                return
            seconds = time.perf_counter() - self.epoch_start
            rate = self.model.optimizer.learning_rate
            send({
                "type": "epoch",
                "epoch": epoch,
                "logs": finite(logs or {}),
                "learning_rate": float(np.asarray(rate.numpy() if hasattr(rate, "numpy") else rate)),
                "seconds": seconds,
                "train_seconds": seconds - self.validation_seconds,
                "validation_seconds": self.validation_seconds,
                "weights": save_weights(self.model, "epoch"),
                "wait": early_stopping[-1].wait if early_stopping else None,
            })

    reporter = Reporter()
    # The reporter saves every epoch's weights for Layerloom's own checkpoints: model.py's
    # per-epoch .weights.h5 files would repeat that work inside each measured epoch.
    model = program.main(config["argv"], extra_callbacks=[reporter], verbose=0, checkpoints=False)
    if reporter.diverged:
        return
    send({"type": "end", "weights": save_weights(model, "final")})


if __name__ == "__main__":
    try:
        main()
    except BaseException as error:  # noqa: BLE001 - every failure is reported, then re-raised
        if isinstance(error, SystemExit) and error.code in (None, 0):
            raise
        traceback.print_exc()
        send({"type": "error", "message": last_line(error)})
        sys.exit(1)
`;

/**
 * Prints the versions the Keras engine needs as one JSON line (null for what does not import, with
 * the import error), without importing model.py: what `layerloom doctor` and the engine check first.
 */
export const KERAS_VERSION_PROBE = String.raw`
import json, os, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
found = {"python": sys.version.split()[0], "executable": sys.executable}
for name in ("numpy", "tensorflow", "keras"):
    try:
        module = __import__(name)
        found[name] = module.__version__
    except Exception as e:
        found[name] = None
        found[name + "_error"] = (type(e).__name__ + ": " + str(e)).splitlines()[0]
if found.get("tensorflow"):
    import tensorflow as tf
    found["devices"] = [d.name + " (" + d.device_type + ")" for d in tf.config.list_logical_devices()]
    info = tf.sysconfig.get_build_info()
    found["cuda"] = info.get("cuda_version")
    found["cudnn"] = info.get("cudnn_version")
print(json.dumps(found))
`;
