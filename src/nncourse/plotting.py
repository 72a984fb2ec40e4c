"""Plotting helpers shared by lectures: loss curves, contour plots with optimisation paths."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np


def plot_losses(curves: Mapping[str, np.ndarray], *, ax=None, title: str = "Loss", xlabel: str = "iteration",
                ylabel: str = "loss", logy: bool = True):
    """One line per named loss curve. Returns the axes."""
    ax = ax or plt.subplots()[1]
    for label, values in curves.items():
        ax.plot(np.arange(len(values)), values, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return ax


def plot_contour_paths(f: Callable[[np.ndarray, np.ndarray], np.ndarray], paths: Mapping[str, np.ndarray], *,
                       xlim: tuple[float, float], ylim: tuple[float, float], ax=None, levels: int = 30,
                       title: str = "", xlabel: str = r"$\theta_0$", ylabel: str = r"$\theta_1$",
                       log_levels: bool = True):
    """Contours of ``f(X, Y)`` with optimisation paths ``(steps, 2)`` drawn on top."""
    ax = ax or plt.subplots()[1]
    xs = np.linspace(*xlim, 200)
    ys = np.linspace(*ylim, 200)
    X, Y = np.meshgrid(xs, ys)
    Z = f(X, Y)
    if log_levels:
        zmin = max(float(Z.min()), 1e-12)
        lv = np.geomspace(zmin, float(Z.max()), levels) if Z.max() > zmin else levels
    else:
        lv = levels
    ax.contour(X, Y, Z, levels=lv, colors="0.55", linewidths=0.6)
    for label, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1, label=label)
        ax.plot(*path[-1], "*", ms=10, color=ax.lines[-1].get_color())
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=xlim, ylim=ylim)
    if paths:
        ax.legend()
    return ax


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray, *, ax=None,
                           resolution: int = 200, margin: float = 0.2, title: str = ""):
    """Shade where ``predict(points: (m, 2)) -> (m,)`` exceeds 0.5 and scatter the labelled points."""
    ax = ax or plt.subplots()[1]
    X = np.asarray(X, dtype=float)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    z = np.asarray(predict(grid)).reshape(gx.shape)
    ax.contourf(gx, gy, z > 0.5, levels=[-0.5, 0.5, 1.5], colors=["#cfe2f3", "#f4cccc"], alpha=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=np.asarray(y).ravel(), cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    return ax
