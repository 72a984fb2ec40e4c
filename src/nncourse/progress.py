"""Progress bars that show training is alive without flooding a notebook's output."""

from __future__ import annotations

import sys

from tqdm.std import tqdm

# A bar redraws at most this often, so a stored notebook output stays a few lines long.
MIN_INTERVAL_SECONDS = 1.0


def progress(iterable=None, *, total=None, desc: str = "", **kwargs):
    """A text ``tqdm`` bar on stdout that redraws at most once a second.

    The plain-text bar (not the widget one) renders in JupyterLab, in nbconvert
    output and in CI logs alike.
    """
    kwargs.setdefault("mininterval", MIN_INTERVAL_SECONDS)
    kwargs.setdefault("file", sys.stdout)
    kwargs.setdefault("ncols", 80)
    return tqdm(iterable, total=total, desc=desc, **kwargs)


def keras_progress(epochs: int, desc: str = "training"):
    """A Keras callback that shows one bar over all epochs with the latest losses.

    Use with ``model.fit(..., verbose=0, callbacks=[keras_progress(epochs)])``
    instead of Keras' per-batch bars, which flood a notebook.
    """
    import keras

    class _EpochBar(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = progress(total=epochs, desc=desc)

        def on_epoch_end(self, epoch, logs=None):
            if logs:
                self.bar.set_postfix({k: f"{v:.3g}" for k, v in logs.items()}, refresh=False)
            self.bar.update(1)

        def on_train_end(self, logs=None):
            self.bar.close()

    return _EpochBar()
