"""Small Keras helpers shared by the Keras lectures: MLP builder, fast datasets, grids, TensorBoard logs.

Importing this module imports Keras and TensorFlow; call ``setup_notebook(tensorflow=True)``
first so TensorFlow starts quietly. Nothing here trains a model or holds an assignment's answer.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nncourse.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402  (after quiet_tensorflow)
import tensorflow as tf  # noqa: E402


def make_mlp(inputs: int, hidden: Sequence[int], outputs: int, activation: str = "relu", *,
             output_activation: str | None = None, kernel_regularizer=None,
             name: str | None = None) -> keras.Sequential:
    """A fully connected network ``inputs -> hidden[0] -> ... -> hidden[-1] -> outputs``.

    Input batches have shape ``(m, inputs)`` and outputs ``(m, outputs)``. Every hidden layer
    uses ``activation``; the output layer uses ``output_activation`` (linear when ``None``).
    ``kernel_regularizer`` (e.g. ``keras.regularizers.L2(1e-4)``) is applied to every weight matrix.
    Layers are named ``hidden_1, hidden_2, ..., output`` so saved weights and summaries read well.
    """
    if inputs < 1 or outputs < 1 or any(int(h) < 1 for h in hidden):
        raise ValueError(f"layer sizes must be positive, got inputs={inputs}, hidden={list(hidden)}, "
                         f"outputs={outputs}")
    layers = [keras.Input(shape=(int(inputs),), name="x")]
    for i, units in enumerate(hidden, start=1):
        layers.append(keras.layers.Dense(int(units), activation=activation,
                                         kernel_regularizer=kernel_regularizer, name=f"hidden_{i}"))
    layers.append(keras.layers.Dense(int(outputs), activation=output_activation,
                                     kernel_regularizer=kernel_regularizer, name="output"))
    return keras.Sequential(layers, name=name)


def mlp_param_count(inputs: int, hidden: Sequence[int], outputs: int) -> int:
    """Weights plus biases of ``make_mlp(inputs, hidden, outputs)``: sum of ``(n_in + 1) * n_out``."""
    sizes = [int(inputs), *map(int, hidden), int(outputs)]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def make_dataset(x: np.ndarray, y: np.ndarray, *, batch_size: int | None = None,
                 shuffle_seed: int | None = None) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(x, y)`` batches in float32, for ``model.fit``.

    ``x: (n, d)``, ``y: (n, k)`` (1-D arrays become one column; integer ``y`` keeps its dtype).
    ``batch_size=None`` gives one full batch per epoch. With ``shuffle_seed`` the order is
    reshuffled every epoch, reproducibly. On small problems Keras spends far less time per
    epoch on a dataset than on NumPy arrays, so the course passes datasets to ``fit``.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim == 1 and not np.issubdtype(y.dtype, np.integer):
        y = y[:, None]
    if len(x) != len(y):
        raise ValueError(f"x and y need the same number of rows, got {len(x)} and {len(y)}")
    x = x.astype("float32")
    y = y if np.issubdtype(y.dtype, np.integer) else y.astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(x), seed=int(shuffle_seed), reshuffle_each_iteration=True)
    return ds.batch(len(x) if batch_size is None else int(batch_size))


def grid_eval(f: Callable[[np.ndarray], np.ndarray], xlim=(-1.0, 1.0), ylim=(-1.0, 1.0),
              n: int = 101) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a 2-D function on an ``n x n`` grid for contour and surface plots.

    ``f`` maps points ``(m, 2)`` to values ``(m,)`` or ``(m, 1)`` (a Keras model's ``predict``
    works). Returns ``X, Y, Z``, each ``(n, n)``, with ``X`` varying along columns.
    """
    X, Y = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    points = np.column_stack([X.ravel(), Y.ravel()])
    Z = np.asarray(f(points))
    if Z.size != points.shape[0]:
        raise ValueError(f"f must return one value per point: got shape {Z.shape} for {points.shape[0]} points")
    return X, Y, Z.reshape(X.shape)


def tensorboard_installed() -> bool:
    """Whether the ``tensorboard`` package (needed by ``keras.callbacks.TensorBoard``) is importable."""
    return importlib.util.find_spec("tensorboard") is not None


class ScalarLogger(keras.callbacks.Callback):
    """Write each epoch's metrics as TensorBoard scalars using TensorFlow alone.

    The layout matches ``keras.callbacks.TensorBoard``: ``log_dir/train`` and
    ``log_dir/validation`` runs with tags ``epoch_loss``, ``epoch_<metric>``. It is the
    fallback when the ``tensorboard`` package is missing; TensorBoard reads its files the same way.
    """

    def __init__(self, log_dir):
        super().__init__()
        self.log_dir = str(log_dir)
        self._writers = {}
        from tensorflow.core.framework import summary_pb2

        self._metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))

    def _writer(self, run: str):
        if run not in self._writers:
            self._writers[run] = tf.summary.create_file_writer(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            run, tag = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            with self._writer(run).as_default():
                tf.summary.write(f"epoch_{tag}", tf.constant(float(value), tf.float32), step=epoch,
                                 metadata=self._metadata)

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()


def tensorboard_callback(log_dir) -> keras.callbacks.Callback:
    """``keras.callbacks.TensorBoard(log_dir)`` if ``tensorboard`` is installed, else ``ScalarLogger(log_dir)``."""
    if tensorboard_installed():
        return keras.callbacks.TensorBoard(log_dir=str(log_dir))
    return ScalarLogger(log_dir)


_FLOAT_DTYPES = (tf.float16.as_datatype_enum, tf.float32.as_datatype_enum, tf.float64.as_datatype_enum)


def read_scalars(log_dir) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """Read the scalar summaries under ``log_dir`` back: ``{run: {tag: [(step, value), ...]}}``.

    ``run`` is the event file's folder relative to ``log_dir`` (e.g. ``"train"``); steps are sorted.
    Uses TensorFlow's record reader, so it works without the ``tensorboard`` package.
    """
    from tensorflow.core.util import event_pb2

    root = Path(log_dir)
    out: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for path in sorted(root.rglob("*tfevents*")):
        run = path.parent.relative_to(root).as_posix()
        for record in tf.data.TFRecordDataset(str(path)):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                kind = value.WhichOneof("value")
                if kind == "tensor" and value.tensor.dtype in _FLOAT_DTYPES and not value.tensor.tensor_shape.dim:
                    number = float(tf.make_ndarray(value.tensor))
                elif kind == "simple_value":
                    number = float(value.simple_value)
                else:  # histograms, images, text, graphs
                    continue
                out.setdefault(run, {}).setdefault(value.tag, []).append((int(event.step), number))
    for tags in out.values():
        for tag in tags:
            tags[tag].sort()
    return out


def max_weight_gap(a, b) -> float:
    """The largest absolute difference between corresponding weights of ``a`` and ``b``.

    ``a`` and ``b`` are Keras models (their ``get_weights()`` are compared) or lists of arrays in
    the same order. ``0.0`` means bit-identical weights. Raises ``ValueError`` when the number or
    the shapes of the weights differ, since then no weight corresponds to another.
    """
    first = a.get_weights() if hasattr(a, "get_weights") else [np.asarray(w) for w in a]
    second = b.get_weights() if hasattr(b, "get_weights") else [np.asarray(w) for w in b]
    if len(first) != len(second):
        raise ValueError(f"expected the same number of weight arrays, got {len(first)} and {len(second)}")
    gap = 0.0
    for i, (u, v) in enumerate(zip(first, second)):
        if u.shape != v.shape:
            raise ValueError(f"weight {i}: expected the same shape, got {u.shape} and {v.shape}")
        if u.size:
            gap = max(gap, float(np.max(np.abs(u.astype(np.float64) - v.astype(np.float64)))))
    return gap
