"""The layer-by-layer measurements (nncourse.diagnostics): gradient norms and mean squares against closed forms."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from nncourse import diagnostics  # noqa: E402

keras = diagnostics.keras
tf = diagnostics.tf


def linear_model(w: np.ndarray):
    model = keras.Sequential([keras.Input((len(w),), dtype="float64"),
                              keras.layers.Dense(1, use_bias=False, dtype="float64", name="linear")])
    model.get_layer("linear").kernel.assign(w[:, None])
    return model


def test_gradient_norm_of_least_squares_is_the_closed_form():
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(20, 3)), rng.normal(size=20), rng.normal(size=3)
    # J = mean((X w - y)^2), so dJ/dw = 2 X^T (X w - y) / n.
    expected = np.linalg.norm(2 * X.T @ (X @ w - y) / len(y))
    norms = diagnostics.kernel_gradient_norms(linear_model(w), X, y[:, None], loss="mse")
    assert norms.shape == (1,)
    assert norms[0] == pytest.approx(expected, rel=1e-12)


def test_gradient_norms_skip_other_layers_and_follow_the_tape():
    keras.utils.set_random_seed(1)
    x = keras.Input((4,))
    h = keras.layers.Dense(5, activation="relu", name="first")(x)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.Add()([h, keras.layers.Dense(5, name="second")(h)])
    model = keras.Model(x, keras.layers.Dense(3, activation="softmax", name="third")(h))
    X = np.random.default_rng(2).normal(size=(16, 4)).astype("float32")
    y = np.arange(16) % 3
    assert [layer.name for layer in diagnostics.dense_layers(model)] == ["first", "second", "third"]
    norms = diagnostics.kernel_gradient_norms(model, X, y, loss="sparse_categorical_crossentropy", training=False)
    kernels = [model.get_layer(name).kernel for name in ("first", "second", "third")]
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(X, training=False)))
    np.testing.assert_allclose(norms, [float(tf.norm(g)) for g in tape.gradient(value, kernels)], rtol=1e-6)


def test_a_callable_loss_is_accepted():
    w = np.array([1.0, -2.0])
    X, y = np.eye(2), np.zeros((2, 1))
    # J = mean(|X w - y|) = mean(|w|): dJ/dw = sign(w) / 2.
    norms = diagnostics.kernel_gradient_norms(linear_model(w), X, y, loss=lambda t, p: tf.abs(p - t)[:, 0])
    assert norms[0] == pytest.approx(np.linalg.norm(np.sign(w) / 2), rel=1e-12)


def test_gradient_norms_reject_mismatched_data_and_models_without_dense_layers():
    with pytest.raises(ValueError, match="same number of rows"):
        diagnostics.kernel_gradient_norms(linear_model(np.ones(2)), np.ones((3, 2)), np.ones((4, 1)))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Activation("relu")])
    with pytest.raises(ValueError, match="no Dense layer"):
        diagnostics.kernel_gradient_norms(model, np.ones((3, 2)), np.ones((3, 2)))


def test_activation_gradient_norms_follow_the_chain_rule():
    rng = np.random.default_rng(3)
    W1, W2 = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    x = keras.Input((3,), dtype="float64")
    a = keras.layers.Dense(4, use_bias=False, dtype="float64", name="a")(x)
    model = keras.Model(x, keras.layers.Dense(2, use_bias=False, dtype="float64", name="b")(a))
    model.get_layer("a").kernel.assign(W1)
    model.get_layer("b").kernel.assign(W2)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    # J = mean over examples of mean((out - y)^2): dJ/dout = 2 (out - y) / (6 * 2), dJ/da = dJ/dout W2^T.
    d_out = 2 * (X @ W1 @ W2 - y) / 12
    norms = diagnostics.activation_gradient_norms(model, X, y, ["b", "a"], loss="mse")
    np.testing.assert_allclose(norms, [np.linalg.norm(d_out), np.linalg.norm(d_out @ W2.T)], rtol=1e-12)
    with pytest.raises(ValueError, match="at least one"):
        diagnostics.activation_gradient_norms(model, X, y, [])
    with pytest.raises(ValueError, match="same number of rows"):
        diagnostics.activation_gradient_norms(model, X, y[:3], ["a"])


def test_layer_mean_squares_of_known_layers():
    w = np.array([3.0, 4.0])
    model = linear_model(w)
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # Outputs 3, 4, 7: mean square (9 + 16 + 49) / 3.
    assert diagnostics.layer_mean_squares(model, X, ["linear"]) == pytest.approx([74 / 3], rel=1e-12)
    x = keras.Input((2,))
    doubled = keras.layers.Rescaling(2.0, name="double")(x)
    model = keras.Model(x, keras.layers.Rescaling(-1.0, name="negate")(doubled))
    np.testing.assert_allclose(diagnostics.layer_mean_squares(model, X, ["negate", "double"]),
                               [4 * 4 / 6, 4 * 4 / 6], rtol=1e-6)
    with pytest.raises(ValueError, match="at least one"):
        diagnostics.layer_mean_squares(model, X, [])
