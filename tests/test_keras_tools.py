"""The Keras helpers: layer sizes, parameter counts, datasets, grids and TensorBoard scalar logs."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from nncourse import keras_tools as kt  # noqa: E402

keras = kt.keras
tf = kt.tf


def test_make_mlp_shapes_activations_and_names():
    model = kt.make_mlp(3, [5, 4], 2, "tanh", output_activation="sigmoid")
    assert [layer.name for layer in model.layers] == ["hidden_1", "hidden_2", "output"]
    assert [layer.units for layer in model.layers] == [5, 4, 2]
    assert model.layers[0].kernel.shape == (3, 5)
    out = model(np.zeros((7, 3), dtype="float32")).numpy()
    assert out.shape == (7, 2)
    # Zero input: hidden layers give tanh(b) = 0 with zero-initialised biases, so the output is sigmoid(0).
    assert np.allclose(out, 0.5)
    assert model.layers[0].activation is keras.activations.tanh


def test_make_mlp_forward_pass_matches_numpy():
    model = kt.make_mlp(2, [3], 1, "relu")
    (W1, b1), (W2, b2) = [(layer.kernel.numpy(), layer.bias.numpy()) for layer in model.layers]
    x = np.array([[0.5, -1.0], [2.0, 0.3]], dtype="float32")
    expected = np.maximum(x @ W1 + b1, 0) @ W2 + b2
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-6, atol=1e-6)


def test_make_mlp_regularizer_adds_losses():
    model = kt.make_mlp(2, [3], 1, kernel_regularizer=keras.regularizers.L2(0.1))
    model(np.zeros((1, 2), dtype="float32"))
    expected = sum(0.1 * float(np.sum(layer.kernel.numpy() ** 2)) for layer in model.layers)
    assert len(model.losses) == 2
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("hidden", [[], [1], [4, 7], [10, 10, 10]])
def test_param_count_matches_keras(hidden):
    assert kt.mlp_param_count(3, hidden, 2) == kt.make_mlp(3, hidden, 2).count_params()


def test_param_count_closed_form():
    assert kt.mlp_param_count(2, [32, 32], 1) == 3 * 32 + 33 * 32 + 33 * 1


def test_make_mlp_rejects_bad_sizes():
    with pytest.raises(ValueError, match="positive"):
        kt.make_mlp(2, [0], 1)


def test_make_dataset_full_batch_and_shapes():
    x = np.arange(10.0)
    y = 2 * np.arange(10.0)
    batches = list(kt.make_dataset(x, y))
    assert len(batches) == 1
    bx, by = batches[0]
    assert bx.shape == (10, 1) and by.shape == (10, 1) and bx.dtype == tf.float32
    np.testing.assert_array_equal(by.numpy()[:, 0], 2 * np.arange(10.0))


def test_make_dataset_batches_keep_integer_labels():
    x = np.zeros((10, 2))
    y = np.arange(10)
    sizes = [int(b[0].shape[0]) for b in kt.make_dataset(x, y, batch_size=4)]
    assert sizes == [4, 4, 2]
    assert next(iter(kt.make_dataset(x, y)))[1].dtype == tf.int64


def test_make_dataset_shuffles_reproducibly_and_keeps_pairs():
    x = np.arange(20.0)
    ds = kt.make_dataset(x, 10 * x, batch_size=20, shuffle_seed=3)
    first = [b[0].numpy().ravel() for b in ds]
    second = [b[0].numpy().ravel() for b in kt.make_dataset(x, 10 * x, batch_size=20, shuffle_seed=3)]
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(first[0], x)
    assert sorted(first[0]) == list(x)
    bx, by = next(iter(ds))
    np.testing.assert_array_equal(by.numpy(), 10 * bx.numpy())


def test_make_dataset_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same number of rows"):
        kt.make_dataset(np.zeros(3), np.zeros(4))


def test_grid_eval_orientation_and_values():
    X, Y, Z = kt.grid_eval(lambda p: p[:, 0] + 10 * p[:, 1], xlim=(0, 1), ylim=(-1, 1), n=5)
    assert X.shape == Y.shape == Z.shape == (5, 5)
    np.testing.assert_allclose(X[0], np.linspace(0, 1, 5))
    np.testing.assert_allclose(Y[:, 0], np.linspace(-1, 1, 5))
    np.testing.assert_allclose(Z, X + 10 * Y)


def test_grid_eval_accepts_column_output_and_rejects_wrong_size():
    _, _, Z = kt.grid_eval(lambda p: p[:, :1] * 2, n=3)
    assert Z.shape == (3, 3)
    with pytest.raises(ValueError, match="one value per point"):
        kt.grid_eval(lambda p: p, n=3)


def test_scalar_logger_round_trip(tmp_path):
    model = kt.make_mlp(1, [4], 1, "tanh")
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    x = np.linspace(-1, 1, 16)
    train, val = kt.make_dataset(x, x**2), kt.make_dataset(x[::2], x[::2] ** 2)
    history = model.fit(train, validation_data=val, epochs=4, verbose=0, shuffle=False,
                        callbacks=[kt.ScalarLogger(tmp_path)])
    logs = kt.read_scalars(tmp_path)
    assert set(logs) == {"train", "validation"}
    assert set(logs["train"]) == {"epoch_loss", "epoch_mae"}
    steps, values = zip(*logs["validation"]["epoch_loss"])
    assert steps == (0, 1, 2, 3)
    np.testing.assert_allclose(values, history.history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in logs["train"]["epoch_mae"]], history.history["mae"], rtol=1e-6)


def test_tensorboard_callback_choice(tmp_path):
    callback = kt.tensorboard_callback(tmp_path)
    expected = keras.callbacks.TensorBoard if kt.tensorboard_installed() else kt.ScalarLogger
    assert isinstance(callback, expected)


def test_read_scalars_empty_folder(tmp_path):
    assert kt.read_scalars(tmp_path) == {}


def test_max_weight_gap_is_zero_for_copies_and_finds_the_largest_change():
    keras.utils.set_random_seed(0)
    a = kt.make_mlp(3, [4], 2)
    b = kt.make_mlp(3, [4], 2)
    b.set_weights(a.get_weights())
    assert kt.max_weight_gap(a, b) == 0.0
    weights = b.get_weights()
    weights[2][1, 0] += 0.5
    weights[1][3] -= 0.25
    b.set_weights(weights)
    assert kt.max_weight_gap(a, b) == pytest.approx(0.5, rel=1e-6)
    assert kt.max_weight_gap(a.get_weights(), weights) == kt.max_weight_gap(a, b)   # lists work too


def test_max_weight_gap_rejects_different_architectures():
    a, b = kt.make_mlp(3, [4], 2), kt.make_mlp(3, [5], 2)
    with pytest.raises(ValueError, match="shape"):
        kt.max_weight_gap(a, b)
    with pytest.raises(ValueError, match="number"):
        kt.max_weight_gap(a, kt.make_mlp(3, [4, 4], 2))
