"""Measurements on Keras models: the gradient that reaches each layer, and how large each layer's output is.

Lectures use these to see vanishing or exploding signals layer by layer without writing the
tape code each time. Importing this module imports Keras and TensorFlow; call
``setup_notebook(tensorflow=True)`` first so TensorFlow starts quietly.
Nothing here trains a model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nncourse.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402  (after quiet_tensorflow)
import tensorflow as tf  # noqa: E402


def dense_layers(model) -> list:
    """The ``keras.layers.Dense`` layers of ``model``, in the order of ``model.layers`` (input side first)."""
    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not layers:
        raise ValueError(f"model {model.name!r} has no Dense layer; its layers are "
                         f"{[type(layer).__name__ for layer in model.layers]}")
    return layers


def kernel_gradient_norms(model, X: np.ndarray, y: np.ndarray, *, loss="mse", training: bool = True) -> np.ndarray:
    """Frobenius norm of ``dJ/dW`` for every Dense kernel ``W``, for the mean loss ``J`` on one batch.

    ``X: (n, d)`` inputs, ``y`` targets in the form ``loss`` expects (a Keras loss name or callable that
    returns one value per example, e.g. ``"mse"`` or ``"sparse_categorical_crossentropy"``).
    ``training=True`` runs dropout and batch normalisation as during training; note that a
    ``BatchNormalization`` layer then also updates its moving averages, as in any training call.
    Returns ``(number of Dense layers,)``, input side first.
    """
    kernels = [layer.kernel for layer in dense_layers(model)]
    loss_fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    X = np.asarray(X)
    if len(X) != len(y):
        raise ValueError(f"X and y need the same number of rows, got {len(X)} and {len(y)}")
    dtype = kernels[0].dtype
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(loss_fn(tf.constant(np.asarray(y)), model(tf.constant(X, dtype=dtype),
                                                                         training=training)))
    grads = tape.gradient(value, kernels)
    return np.array([float(tf.norm(g)) for g in grads])


def activation_gradient_norms(model, X: np.ndarray, y: np.ndarray, layer_names: Sequence[str], *, loss="mse",
                              training: bool = True) -> np.ndarray:
    """Frobenius norm of ``dJ/dH`` for the output ``H: (n, units)`` of each named layer: the backward signal there.

    ``J`` is the mean loss over the batch ``X: (n, d)``, ``y`` as for :func:`kernel_gradient_norms`. The ratio of
    two entries is the factor by which backpropagation changed the gradient between those layers.
    Returns ``(len(layer_names),)`` in the given order.
    """
    if not layer_names:
        raise ValueError("expected at least one layer name")
    loss_fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    if len(X) != len(y):
        raise ValueError(f"X and y need the same number of rows, got {len(X)} and {len(y)}")
    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in layer_names] + [model.outputs[0]])
    with tf.GradientTape() as tape:
        *hidden, out = probe(tf.constant(np.asarray(X), dtype=model.inputs[0].dtype), training=training)
        value = tf.reduce_mean(loss_fn(tf.constant(np.asarray(y)), out))
    return np.array([float(tf.norm(g)) for g in tape.gradient(value, hidden)])


def layer_mean_squares(model, X: np.ndarray, layer_names: Sequence[str], *, training: bool = False) -> np.ndarray:
    """Mean of the squared outputs ``E[h^2]`` (over examples and units) of the named layers, for inputs ``X: (n, d)``.

    Works for functional and ``Sequential`` models. Returns ``(len(layer_names),)`` in the given order.
    """
    if not layer_names:
        raise ValueError("expected at least one layer name")
    outputs = [model.get_layer(name).output for name in layer_names]
    probe = keras.Model(model.inputs, outputs)
    values = probe(tf.constant(np.asarray(X), dtype=model.inputs[0].dtype), training=training)
    if len(layer_names) == 1:
        values = [values]
    return np.array([float(np.mean(np.square(np.asarray(v, dtype=float)))) for v in values])
