"""Plots of binary classifiers on 2-D data, and the homework's grids of them.

Every helper draws only on the ``Axes`` it is given (or makes one when given
none) and returns it; none calls ``plt.show()``, fits a model or changes global
matplotlib settings.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from sklearn.metrics import log_loss, zero_one_loss

PROBA_LEVELS = np.linspace(0.0, 1.0, 21)
PROBA_CMAP = "RdBu_r"  # diverging: blue for class 0, white at 0.5, red for class 1
# Probabilities 0 and 1 map to the light part of the colour scale, so that the
# dark markers of the points stay visible on both ends.
PROBA_NORM = Normalize(vmin=-0.4, vmax=1.4)


def plot_pretty_probabilities_for_clf(
    clf,
    x_N2,
    y_N,
    ax=None,
    x1_lims=(-2.0, 2.0),
    x2_lims=(-2.0, 2.0),
    n_grid=101,
    show_colorbar=False,
    title_prefix="",
    title_format="{prefix}log loss {loss:.3f}, error {error:.3f}",
    contourf_kwargs=None,
    marker_kwargs=None,
):
    """Draw the predicted probability of class 1 over a grid, with the points.

    Parameters
    ----------
    clf : fitted classifier with ``predict_proba``
        Its column 1 is the probability of class 1.
    x_N2 : ndarray of shape (n_samples, 2)
        The points to draw and to score.
    y_N : ndarray of shape (n_samples,)
        Their labels, 0 or 1.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes if None.
    x1_lims, x2_lims : (float, float), default=(-2, 2)
        Extent of the probability grid.
    n_grid : int, default=101
        Grid points per axis.
    show_colorbar : bool, default=False
        Add a colour bar for the probability next to ``ax``.
    title_prefix : str, default=''
        Text put before the scores in the title, e.g. ``'seed 3'``.
    title_format : str, default='{prefix}log loss {loss:.3f}, error {error:.3f}'
        The title; ``{prefix}`` is ``title_prefix`` followed by ': ' (or
        nothing), ``{loss}`` the log loss and ``{error}`` the error rate.
    contourf_kwargs, marker_kwargs : dict, optional
        Passed on to ``ax.contourf`` and to the ``ax.plot`` call of each class
        (its markers).

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on. Its title gives the log loss and the error rate of
        ``clf`` on ``(x_N2, y_N)``.

    Raises
    ------
    TypeError
        If ``clf`` has no ``predict_proba``.
    """
    if not hasattr(clf, "predict_proba"):
        raise TypeError(
            f"{type(clf).__name__} has no predict_proba, so its probabilities "
            "cannot be drawn; pass a probabilistic classifier such as MLPClassifier."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    x_N2 = np.asarray(x_N2, dtype=float)
    y_N = np.asarray(y_N)
    g1_G = np.linspace(*x1_lims, n_grid)
    g2_H = np.linspace(*x2_lims, n_grid)
    G1_HG, G2_HG = np.meshgrid(g1_G, g2_H)
    grid_M2 = np.column_stack([G1_HG.ravel(), G2_HG.ravel()])
    proba_HG = clf.predict_proba(grid_M2)[:, 1].reshape(G1_HG.shape)
    contour = ax.contourf(
        G1_HG,
        G2_HG,
        proba_HG,
        **{"levels": PROBA_LEVELS, "cmap": PROBA_CMAP, "norm": PROBA_NORM}
        | (contourf_kwargs or {}),
    )
    # Dark markers on the light ends of the colour scale stay visible everywhere.
    styles = {
        0: {"marker": "o", "mfc": "white", "mec": "#08306b"},
        1: {"marker": "+", "color": "black"},
    }
    for label, style in styles.items():
        mask = y_N == label
        ax.plot(
            x_N2[mask, 0],
            x_N2[mask, 1],
            linestyle="none",
            label=f"y={label}",
            **{"markersize": 2.5, "mew": 0.5} | style | (marker_kwargs or {}),
        )
    proba_N = clf.predict_proba(x_N2)[:, 1]
    loss = log_loss(y_N, proba_N, labels=[0, 1])
    error = zero_one_loss(y_N, clf.predict(x_N2))
    prefix = f"{title_prefix}: " if title_prefix else ""
    ax.set_title(title_format.format(prefix=prefix, loss=loss, error=error))
    ax.set_xlim(x1_lims)
    ax.set_ylim(x2_lims)
    ax.set_xticks(np.arange(np.ceil(x1_lims[0]), np.floor(x1_lims[1]) + 1))
    ax.set_yticks(np.arange(np.ceil(x2_lims[0]), np.floor(x2_lims[1]) + 1))
    ax.set_aspect("equal")
    if show_colorbar:
        ax.figure.colorbar(contour, ax=ax, label="P(y=1 | x)")
    return ax


def grid_shape(n_panels):
    """Rows and columns of a near-square grid: 16 -> (4, 4), 10 -> (3, 4)."""
    if n_panels < 1:
        raise ValueError(f"n_panels must be at least 1, got {n_panels}.")
    n_cols = math.ceil(math.sqrt(n_panels))
    return math.ceil(n_panels / n_cols), n_cols


def make_grid_axes(
    n_panels,
    panel_inches=1.45,
    gap_inches=(0.2, 0.5),
    margins_inches=(0.4, 0.85, 0.75, 0.3),
    sharex=True,
    sharey=True,
):
    """A figure with a near-square grid of Axes; the unused ones hidden.

    The layout is fixed in inches (no layout engine to run at every draw), so
    that big grids render fast.

    Parameters
    ----------
    n_panels : int
    panel_inches : float, default=1.45
        Width and height of one panel.
    gap_inches : (float, float), default=(0.2, 0.5)
        Horizontal and vertical space between panels (room for titles).
    margins_inches : (float, float, float, float), default=(0.4, 0.85, 0.75, 0.3)
        Left, right, top and bottom margins (the right one holds a colour bar).

    Returns
    -------
    axes : ndarray of Axes, shape (n_panels,)
        The Axes to draw on, in reading order. ``axes[0].figure`` is the figure.
    """
    n_rows, n_cols = grid_shape(n_panels)
    (gap_x, gap_y), (left, right, top, bottom) = gap_inches, margins_inches
    width = left + right + n_cols * panel_inches + (n_cols - 1) * gap_x
    height = top + bottom + n_rows * panel_inches + (n_rows - 1) * gap_y
    fig, axes_RC = plt.subplots(
        n_rows,
        n_cols,
        figsize=(width, height),
        sharex=sharex,
        sharey=sharey,
        squeeze=False,
        gridspec_kw={
            "left": left / width,
            "right": 1 - right / width,
            "top": 1 - top / height,
            "bottom": bottom / height,
            "wspace": gap_x / panel_inches,
            "hspace": gap_y / panel_inches,
        },
    )
    axes = axes_RC.ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return axes[:n_panels]


def plot_probability_grid(clfs, x_N2, y_N, labels=None, axes=None, title=None):
    """One probability plot per fitted classifier, in a grid, with one colour bar.

    Parameters
    ----------
    clfs : list of fitted classifiers
    x_N2, y_N : ndarray
        Points drawn and scored in every panel (the training set).
    labels : list of str, optional
        Title prefix of each panel; by default ``'seed k'`` from each
        classifier's ``random_state``.
    axes : sequence of Axes, optional
        One per classifier; made by :func:`make_grid_axes` if None.
    title : str, optional
        Title of the whole figure.

    Returns
    -------
    axes : ndarray of Axes
    """
    if labels is None:
        labels = [f"seed {clf.random_state}" for clf in clfs]
    if axes is None:
        axes = make_grid_axes(len(clfs))
    if len(axes) < len(clfs):
        raise ValueError(f"{len(clfs)} classifiers but only {len(axes)} Axes.")
    for clf, label, ax in zip(clfs, labels, axes):
        plot_pretty_probabilities_for_clf(
            clf,
            x_N2,
            y_N,
            ax=ax,
            title_prefix=label,
            title_format="{prefix}error {error:.3f}\nlog loss {loss:.3f}",
            n_grid=81,
        )
        ax.title.set_fontsize(9)
        ax.tick_params(labelsize=7.5)
    fig = axes[0].figure
    mappable = plt.cm.ScalarMappable(cmap=PROBA_CMAP, norm=PROBA_NORM)
    # The colour bar sits in the right margin, beside the middle of the grid.
    right = max(ax.get_position().x1 for ax in axes)
    top = max(ax.get_position().y1 for ax in axes)
    bottom = min(ax.get_position().y0 for ax in axes)
    cax = fig.add_axes(
        [right + 0.02, bottom + 0.2 * (top - bottom), 0.018, 0.6 * (top - bottom)]
    )
    bar = fig.colorbar(mappable, cax=cax, label="P(y=1 | x)")
    bar.ax.set_ylim(0, 1)
    if title:
        fig.suptitle(title)
    return np.asarray(axes)


def plot_loss_curves(curves, xlabels=None, ylim=(0.0, 1.0), height=2.9):
    """Loss curves of all runs, one line per run and one panel per setting.

    Drawn by seaborn's ``relplot`` from a long-form table.

    Parameters
    ----------
    curves : pandas.DataFrame
        One row per point of a curve, with columns ``setting``, ``seed``,
        ``iteration`` and ``loss``. Panels follow the order of ``setting``;
        four settings make a 2x2 grid.
    xlabels : dict, optional
        Setting to its x-axis label (default 'iteration').
    ylim : (float, float), default=(0, 1)
    height : float, default=2.9
        Height of one panel, in inches.

    Returns
    -------
    axes : ndarray of Axes
        One per setting, in order; ``axes[0].figure`` is the figure.
    """
    import seaborn as sns

    order = list(dict.fromkeys(curves["setting"]))
    grid = sns.relplot(
        data=curves,
        kind="line",
        x="iteration",
        y="loss",
        hue="seed",
        units="seed",
        estimator=None,
        col="setting",
        col_order=order,
        col_wrap=2 if len(order) > 1 else None,
        height=height,
        aspect=1.15,
        palette="tab20",
        legend=False,
        linewidth=1,
        alpha=0.8,
        facet_kws={"sharex": False, "sharey": True},
    )
    n_runs = curves.groupby("setting")["seed"].nunique()
    for name, ax in grid.axes_dict.items():
        ax.set_title(f"{name} ({n_runs[name]} runs)", fontsize=10)
        ax.set_xlabel((xlabels or {}).get(name, "iteration"))
        ax.set_ylabel("training loss")
        ax.set_ylim(ylim)
        ax.grid(alpha=0.3)
    grid.tight_layout()  # again, now that the labels are final
    return np.asarray([grid.axes_dict[name] for name in order])


def plot_success_rates(runs, ax=None, reference=None):
    """Share of runs that solve XOR, per condition and setting, with 95 % intervals.

    Drawn by seaborn's ``pointplot`` from a long-form table of runs, with the
    Wilson score interval of each group as its error bar.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run, with columns ``condition``, ``setting`` and a boolean
        ``solved``.
    ax : matplotlib Axes, optional
    reference : dict, optional
        Setting to a rate to mark with a cross on the first condition (e.g.
        the rate of the main runs).

    Returns
    -------
    ax : matplotlib Axes
    """
    import seaborn as sns

    from hw04.stats import wilson_errorbar

    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 3.6))
        fig.subplots_adjust(left=0.09, right=0.98, top=0.95, bottom=0.27)
    settings = list(dict.fromkeys(runs["setting"]))
    conditions = list(dict.fromkeys(runs["condition"]))
    sns.pointplot(
        data=runs.assign(solved=runs["solved"].astype(float)),
        x="condition",
        y="solved",
        hue="setting",
        order=conditions,
        hue_order=settings,
        estimator="mean",
        errorbar=wilson_errorbar,
        dodge=0.5,
        linestyle="none",
        capsize=0.08,
        err_kws={"linewidth": 1.2},
        ax=ax,
    )
    if reference:
        offsets = np.linspace(-0.25, 0.25, len(settings))
        xs = [offsets[settings.index(s)] for s in reference if s in settings]
        ys = [reference[s] for s in reference if s in settings]
        ax.plot(xs, ys, "kx", markersize=7, label="main runs", zorder=5)
    ax.set_xlabel("")
    ax.set_ylim(-0.05, 1.05)  # room for the markers at 0 and 1
    ax.set_ylabel("share of runs solving XOR")
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(
        fontsize=8,
        ncols=len(settings) + 1,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        frameon=False,
    )
    return ax
