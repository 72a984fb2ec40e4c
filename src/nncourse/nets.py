"""Small Keras networks trained full-batch: build, train, score.

Lectures use these to compare architectures quickly (e.g. how many hidden units a
data set needs). Training runs many full-batch steps inside one traced ``tf.function``,
which on a CPU is far faster than ``model.fit`` with one tiny batch per epoch, and
models of the same architecture share that traced loop.
Nothing here is an assignment's answer: the updates are Keras' own optimisers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nncourse.progress import progress


def build_mlp(input_dim: int, hidden: Sequence[int], *, activation: str = "relu", output_dim: int = 1,
              output_activation: str | None = "sigmoid", seed: int = 0):
    """A fully connected ``keras.Sequential``: ``input_dim -> hidden[0] -> ... -> output_dim``.

    Every layer's kernel is Glorot-uniform initialised from its own seed (derived from ``seed``),
    biases start at zero, so the same arguments give the same initial weights.
    The model maps ``X: (n, input_dim)`` to ``(n, output_dim)``.
    """
    import keras

    if int(input_dim) < 1 or any(int(h) < 1 for h in hidden):
        raise ValueError(f"layer sizes must be positive, got input_dim={input_dim}, hidden={list(hidden)}")
    layers = [keras.Input((int(input_dim),))]
    sizes = [*hidden, output_dim]
    for i, units in enumerate(sizes):
        last = i == len(sizes) - 1
        layers.append(keras.layers.Dense(
            int(units), activation=output_activation if last else activation,
            kernel_initializer=keras.initializers.GlorotUniform(seed=int(seed) * 1000 + i),
            name="output" if last else f"hidden_{i + 1}"))
    return keras.Sequential(layers)


def _architecture(model) -> tuple:
    """What two models must share to be trained by the same traced function."""
    shapes = tuple(tuple(w.shape) for w in model.weights)
    activations = tuple(str(layer.get_config().get("activation")) for layer in model.layers)
    return shapes, activations


def train_full_batch(models, X: np.ndarray, y: np.ndarray, *, loss: str = "binary_crossentropy", epochs: int = 500,
                     learning_rate: float = 0.05, chunk: int = 250, show_progress: bool = False,
                     desc: str = "training") -> np.ndarray:
    """Train one Keras model, or several one after another, with Adam on all of ``X: (n, d)``, ``y: (n,)``/``(n, k)``.

    Each model takes ``epochs`` full-batch steps from its own initial weights with a fresh Adam state.
    Tracing the training loop costs far more than running it for a small network,
    so models of the same architecture share one traced loop: the first of them runs every
    initialisation in turn, and each model receives its own trained weights at the end. The result
    is the same as training each model alone. ``chunk`` steps run per traced call; a progress
    bar, if asked, advances per chunk.
    Returns the loss before each step: ``(epochs,)`` for one model, ``(epochs, len(models))`` for a list.
    """
    import keras
    import tensorflow as tf

    single = not isinstance(models, (list, tuple))
    models = [models] if single else list(models)
    if int(epochs) < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not models:
        raise ValueError("expected at least one model")
    epochs, chunk = int(epochs), int(chunk)
    Xt = tf.constant(np.asarray(X), tf.float32)
    yt = tf.constant(np.asarray(y, dtype=np.float32).reshape(len(X), -1))
    loss_fn = keras.losses.get(loss)
    initial = [m.get_weights() for m in models]
    trained = [None] * len(models)
    history = np.zeros((epochs, len(models)), dtype=np.float32)
    groups: dict[tuple, list[int]] = {}
    for i, m in enumerate(models):
        groups.setdefault(_architecture(m), []).append(i)

    bar = progress(total=epochs * len(models), desc=desc) if show_progress else None
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")  # every call traces a new loop by design: no "retracing" warnings
    try:
        for members in groups.values():
            worker = models[members[0]]
            optimizer = keras.optimizers.Adam(learning_rate)
            optimizer.build(worker.trainable_variables)
            fresh_state = [v.numpy() for v in optimizer.variables]

            @tf.function
            def run(steps, worker=worker, optimizer=optimizer):
                losses = tf.TensorArray(tf.float32, size=chunk)
                for step in tf.range(steps):
                    with tf.GradientTape() as tape:
                        value = tf.reduce_mean(loss_fn(yt, worker(Xt, training=True)))
                    grads = tape.gradient(value, worker.trainable_variables)
                    optimizer.apply_gradients(zip(grads, worker.trainable_variables))
                    losses = losses.write(step, value)
                return losses.stack()

            for i in members:
                worker.set_weights(initial[i])
                for variable, value in zip(optimizer.variables, fresh_state):
                    variable.assign(value)
                done = 0
                while done < epochs:
                    steps = min(chunk, epochs - done)
                    history[done:done + steps, i] = run(tf.constant(steps)).numpy()[:steps]
                    done += steps
                    if bar is not None:
                        bar.update(steps)
                trained[i] = worker.get_weights()
    finally:
        logger.setLevel(level)
        if bar is not None:
            bar.close()
    for m, weights in zip(models, trained):
        m.set_weights(weights)
    return history[:, 0] if single else history


def binary_accuracy(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Fraction of ``probabilities: (n,)`` or ``(n, 1)`` that fall on the side of 0.5 labelled by ``y: (n,)``."""
    p = np.asarray(probabilities, dtype=float).reshape(-1)
    y = np.asarray(y, dtype=float).reshape(-1)
    if p.shape != y.shape:
        raise ValueError(f"expected as many probabilities as labels, got {p.shape} and {y.shape}")
    return float(np.mean((p > 0.5) == (y > 0.5)))


def train_binary_classifiers(X: np.ndarray, y: np.ndarray, hidden: Sequence[int], seeds: Sequence[int], *,
                             epochs: int = 500, activation: str = "relu", learning_rate: float = 0.05,
                             show_progress: bool = False, desc: str = "training"):
    """One ``build_mlp(d, hidden, activation)`` with a sigmoid output per seed, each trained full-batch.

    ``X: (n, d)``, ``y: (n,)`` in {0, 1}. Returns a list of ``(model, accuracy)``, one per seed,
    with the accuracy on ``X`` itself. Same seed, same result as ``train_binary_classifier``.
    """
    models = [build_mlp(np.shape(X)[1], hidden, activation=activation, seed=s) for s in seeds]
    train_full_batch(models, X, y, epochs=epochs, learning_rate=learning_rate, show_progress=show_progress,
                     desc=desc)
    return [(m, binary_accuracy(predict(m, X), y)) for m in models]


def train_binary_classifier(X: np.ndarray, y: np.ndarray, hidden: Sequence[int], *, epochs: int = 500,
                            seed: int = 0, activation: str = "relu", learning_rate: float = 0.05):
    """Build ``build_mlp(d, hidden, activation)`` with a sigmoid output and train it full-batch with Adam.

    ``X: (n, d)``, ``y: (n,)`` in {0, 1}; ``hidden=()`` gives logistic regression.
    Returns ``(model, accuracy)`` with the accuracy on ``X`` itself.
    """
    return train_binary_classifiers(X, y, hidden, [seed], epochs=epochs, activation=activation,
                                    learning_rate=learning_rate)[0]


def predict(model, X: np.ndarray) -> np.ndarray:
    """The model's output on ``X: (n, d)`` as a NumPy array ``(n,)`` (one output) or ``(n, k)``."""
    out = np.asarray(model(np.asarray(X, dtype=np.float32)))
    return out[:, 0] if out.shape[1] == 1 else out
