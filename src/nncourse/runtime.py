"""Seeding and runtime settings: the one setup call every notebook makes."""

from __future__ import annotations

import os
import platform
import random
import sys

import numpy as np

DEFAULT_SEED = 42


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter; must run before TF is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # oneDNN's fused CPU kernels pick code paths by instruction set, so results could differ in
    # the last digits between the machine that stored a notebook's outputs and the one checking them.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up lines (absl, oneDNN) kept out of the notebook.

    They are written to file descriptor 2 before TensorFlow's logging is configured, so
    no environment variable silences them; stderr is pointed at /dev/null for the import.
    """
    quiet_tensorflow()
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return tensorflow


def seed_everything(seed: int = DEFAULT_SEED, *, tensorflow: bool | None = None) -> np.random.Generator:
    """Seed Python, NumPy and (if imported or asked for) TensorFlow/Keras.

    Returns a fresh ``np.random.Generator`` seeded with ``seed``; notebooks should draw
    from it rather than from the global NumPy state.
    With TensorFlow, op determinism is switched on so reruns print the same numbers.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed)
    if tensorflow is None:
        tensorflow = "tensorflow" in sys.modules
    if tensorflow:
        quiet_tensorflow()
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(int(seed))
        try:
            tf.config.experimental.enable_op_determinism()
        except RuntimeError:  # already set in this process
            pass
    return np.random.default_rng(seed)


def configure_matplotlib() -> None:
    """Readable defaults for every figure: size, labels and a light grid."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 90,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 11,
            "legend.frameon": False,
            "image.cmap": "viridis",
        }
    )


def runtime_info() -> str:
    """One line per fact: Python, NumPy and (if imported) TensorFlow versions and devices."""
    lines = [
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPU core(s)",
        f"NumPy {np.__version__}",
    ]
    if "tensorflow" in sys.modules:
        import keras
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        lines.append(f"TensorFlow {tf.__version__}, Keras {keras.__version__}")
        lines.append(f"Devices: {'GPU x%d' % len(gpus) if gpus else 'CPU only'}")
    return "\n".join(lines)


def setup_notebook(seed: int = DEFAULT_SEED, *, tensorflow: bool = False, verbose: bool = True) -> np.random.Generator:
    """The uniform opening of every notebook: quiet TF, seeds, figure style, runtime info.

    Returns the seeded ``np.random.Generator`` the notebook should use.
    """
    if tensorflow:
        import_tensorflow_quietly()  # so seeding and runtime info see it
    configure_matplotlib()
    rng = seed_everything(seed, tensorflow=tensorflow)
    if verbose:
        print(runtime_info())
        print(f"Seed: {seed}")
    return rng
