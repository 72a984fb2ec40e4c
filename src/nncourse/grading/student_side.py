"""Helpers a judged test may run where the student's code runs (``nncourse.checks.in_kernel``).

Some checks need the student's code and an object in one process: TensorFlow cannot
differentiate through a call that crosses to the judge, and a Keras model the student
trains must live beside the student's training step. These helpers build such objects
or run such computations in the student kernel. They hold no answer of any assignment,
and what they return is treated as the student's answer (compared with the judge's own
reference), never as a reference: a kernel that tampers with them only hurts itself.
"""

from __future__ import annotations

import numpy as np

__all__ = ["keras_optimizer", "sigmoid_policy_gradient"]


def keras_optimizer(name: str, *args, **kwargs):
    """A fresh ``keras.optimizers.<name>(*args, **kwargs)``, e.g. ("SGD", 0.1)."""
    import keras

    cls = getattr(keras.optimizers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer)):
        raise ValueError(f"keras.optimizers has no optimizer named {name!r}")
    return cls(*args, **kwargs)


def sigmoid_policy_gradient(residual, theta, k, z, *args):
    """Residuals of s(k, z) = sigmoid(theta0 + theta1 log k + theta2 log z) and the gradient of their mean square.

    ``residual(policy, k, z, *args)`` is the student's function; returns (residuals (m,),
    gradient (3,) or None when the residual is not differentiable by tf.GradientTape).
    """
    import tensorflow as tf

    variable = tf.Variable(np.asarray(theta, dtype=np.float64))

    def policy(k_, z_):
        return tf.sigmoid(variable[0] + variable[1] * tf.math.log(k_) + variable[2] * tf.math.log(z_))

    with tf.GradientTape() as tape:
        e = residual(policy, tf.constant(k), tf.constant(z), *args)
        loss = tf.reduce_mean(tf.convert_to_tensor(e) ** 2)
    gradient = tape.gradient(loss, variable)
    return np.asarray(e), None if gradient is None else gradient.numpy()
