"""The small-network helpers: architecture, determinism, and that training really learns."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from nncourse import data, nets  # noqa: E402


def test_build_mlp_layer_shapes():
    model = nets.build_mlp(3, (5, 4), activation="tanh", output_dim=2)
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(3, 5), (5,), (5, 4), (4,), (4, 2), (2,)]
    assert nets.predict(model, np.zeros((7, 3))).shape == (7, 2)
    assert nets.predict(nets.build_mlp(2, ()), np.zeros((6, 2))).shape == (6,)


def test_build_mlp_is_seeded():
    a = nets.build_mlp(2, (3,), seed=1).get_weights()
    b = nets.build_mlp(2, (3,), seed=1).get_weights()
    c = nets.build_mlp(2, (3,), seed=2).get_weights()
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("hidden", [(0,), (3, -1)])
def test_build_mlp_rejects_empty_layers(hidden):
    with pytest.raises(ValueError, match="positive"):
        nets.build_mlp(2, hidden)


def test_binary_accuracy():
    assert nets.binary_accuracy([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 0]) == 0.75
    assert nets.binary_accuracy(np.array([[0.7], [0.1]]), [1, 0]) == 1.0
    with pytest.raises(ValueError, match="as many"):
        nets.binary_accuracy([0.5, 0.5], [1, 0, 1])


def test_train_full_batch_fits_a_line():
    x = np.linspace(-1, 1, 50)[:, None]
    y = 2.0 * x[:, 0] + 1.0
    model = nets.build_mlp(1, (), output_activation=None)
    losses = nets.train_full_batch(model, x, y, loss="mse", epochs=400, learning_rate=0.05, chunk=150)
    assert losses.shape == (400,)
    assert losses[-1] < 1e-3 * losses[0]
    kernel, bias = model.get_weights()
    assert kernel[0, 0] == pytest.approx(2.0, abs=0.02) and bias[0] == pytest.approx(1.0, abs=0.02)


def test_train_full_batch_rejects_zero_epochs():
    with pytest.raises(ValueError, match="epochs"):
        nets.train_full_batch(nets.build_mlp(1, ()), np.zeros((2, 1)), np.zeros(2), epochs=0)


def test_logistic_regression_cannot_learn_xor_but_a_hidden_layer_can():
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    labels = np.array([0, 1, 1, 0], dtype=float)
    _, linear = nets.train_binary_classifier(corners, labels, (), epochs=300, seed=0)
    assert linear <= 0.75
    X, y = data.xor_data(25, spread=0.05, seed=0)
    accs = [nets.train_binary_classifier(X, y, (4,), activation="tanh", epochs=300, seed=s)[1] for s in (0, 1)]
    assert max(accs) == 1.0


def test_train_binary_classifier_is_deterministic_and_learns_two_rings():
    X, y = data.two_rings(200, seed=0)
    m1, a1 = nets.train_binary_classifier(X, y, (3,), activation="tanh", epochs=300, seed=0)
    m2, a2 = nets.train_binary_classifier(X, y, (3,), activation="tanh", epochs=300, seed=0)
    assert a1 == a2 == 1.0
    assert all(np.allclose(u, v) for u, v in zip(m1.get_weights(), m2.get_weights()))


def test_training_several_equals_training_alone():
    X, y = data.two_rings(100, seed=3)
    together = nets.train_binary_classifiers(X, y, (3,), [0, 1], activation="tanh", epochs=50)
    alone = nets.train_binary_classifier(X, y, (3,), activation="tanh", epochs=50, seed=1)
    for u, v in zip(together[1][0].get_weights(), alone[0].get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-4, atol=1e-6)
    assert not np.allclose(together[0][0].get_weights()[0], together[1][0].get_weights()[0])
    models = [nets.build_mlp(2, (3,), seed=0), nets.build_mlp(2, (4,), activation="tanh", seed=0),
              nets.build_mlp(2, (3,), seed=1)]
    losses = nets.train_full_batch(models, X, y, epochs=10, chunk=4)
    assert losses.shape == (10, 3) and np.all(losses[-1] < losses[0])
    assert len({round(float(v), 6) for v in losses[0]}) == 3  # each model started from its own weights
