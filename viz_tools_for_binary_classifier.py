"""Plots of binary classifiers on 2-D data, and the homework's grids of them.

Every helper draws only on the ``Axes`` it is given (or makes its own) and returns
it; none calls ``plt.show()``, fits a model or changes global settings. Figures
are :data:`TEXT_WIDTH` inches wide with no text under :data:`SMALLEST_FONT`
points, and read in grey print (lightness rising with p, a marker shape per
series).
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox
from scipy.stats import binomtest
from sklearn.metrics import log_loss, zero_one_loss

TEXT_WIDTH = 6.7  # inches: a US-letter page with 0.9 in margins
SMALLEST_FONT = 7.0  # points, for tick labels and panel titles
LABEL_FONT = 8.5


def _proba_colormap():
    """RdBu's blue for class 0, white at 0.5 and its red for class 1, cut unevenly
    so that a mid blue (p = 0) and a light red (p = 1) print as clearly different
    greys (RdBu's own ends print alike); the dark markers show on both. Flat bands
    of 0.05, as filled contours would draw, and a PNG compresses them well."""
    p_B = (np.arange(20) + 0.5) / 20
    at_B = np.where(p_B < 0.5, 0.12 + 0.76 * p_B, 0.5 + 0.4 * (p_B - 0.5))
    return ListedColormap(plt.get_cmap("RdBu_r")(at_B), name="proba_RdBu")


PROBA_CMAP = _proba_colormap()
# The grids' map: viridis from its dark blue up, in bands of 0.05. Its lightness
# rises with p (CIELAB L* by 6 or more per 0.1), so grey print keeps p apart.
LIGHTNESS_CMAP = ListedColormap(
    plt.get_cmap("viridis")(np.linspace(0.12, 1.0, 20)), name="proba_viridis"
)
# A run whose probability stays this close to 0.5 over the whole plot has no
# boundary worth drawing: its p = 0.5 contour would trace rounding noise.
FLAT_AT_HALF = 0.02

# Dark markers on the light ends of the colour scale stay visible everywhere.
MARKERS = {
    0: {"marker": "o", "mfc": "white", "mec": "#08306b"},
    1: {"marker": "+", "color": "black"},
}


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
    image_kwargs=None,
    marker_kwargs=None,
    ticks=None,
    boundary_kwargs=None,
):
    """Draw the predicted probability of class 1 over a grid, with the points.

    The probability is one image (``ax.imshow``), interpolated between the grid's
    points and coloured in bands of 0.05, as filled contours would be. The title
    scores ``clf`` on the points drawn.

    Parameters
    ----------
    clf : fitted classifier
        Its ``predict_proba`` column 1 is the probability of class 1 (a
        ``TypeError`` if it has none).
    x_N2, y_N : ndarray of shape (n_samples, 2) and (n_samples,)
        The points, labelled 0 or 1.
    x1_lims, x2_lims : (float, float), default=(-2, 2)
        Extent of the probability grid, of ``n_grid`` points per axis.
    title_prefix, title_format : str
        In ``title_format``, ``{prefix}`` is ``title_prefix`` (e.g. ``'seed 3'``)
        and ': ', or nothing; ``{loss}`` is the log loss, ``{error}`` the error rate.
    image_kwargs, marker_kwargs : dict, optional
        Passed on to ``ax.imshow`` and to each class's ``ax.plot``.
    ticks : sequence of float, optional
        Tick positions on both axes; by default the whole numbers within limits.
    boundary_kwargs : dict, optional
        ``ax.contour`` options to draw the p = 0.5 boundary; not drawn by default,
        nor where p stays within :data:`FLAT_AT_HALF` of 0.5 over the whole plot.
    """
    if not hasattr(clf, "predict_proba"):
        raise TypeError(
            f"{type(clf).__name__} has no predict_proba, so its probabilities "
            "cannot be drawn; pass a probabilistic classifier such as MLPClassifier."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    x_N2, y_N = np.asarray(x_N2, dtype=float), np.asarray(y_N)
    g1_G, g2_H = np.linspace(*x1_lims, n_grid), np.linspace(*x2_lims, n_grid)
    grid_M2 = np.column_stack([np.tile(g1_G, n_grid), np.repeat(g2_H, n_grid)])
    proba_HG = clf.predict_proba(grid_M2)[:, 1].reshape(n_grid, n_grid)
    # The grid's points are the pixels' centres; the image spans half a step more.
    h1, h2 = (g1_G[1] - g1_G[0]) / 2, (g2_H[1] - g2_H[0]) / 2
    extent = (x1_lims[0] - h1, x1_lims[1] + h1, x2_lims[0] - h2, x2_lims[1] + h2)
    image = ax.imshow(
        proba_HG,
        **{"cmap": PROBA_CMAP, "vmin": 0.0, "vmax": 1.0, "origin": "lower",
           "extent": extent, "interpolation": "bilinear",
           "interpolation_stage": "data", "aspect": "equal"}
        | (image_kwargs or {}),
    )  # fmt: skip
    if boundary_kwargs is not None and np.abs(proba_HG - 0.5).max() > FLAT_AT_HALF:
        ax.contour(
            g1_G, g2_H, proba_HG, levels=[0.5],
            **{"colors": "white", "linewidths": 0.8} | boundary_kwargs,
        )  # fmt: skip
    for label, style in MARKERS.items():
        style = {"markersize": 2.5, "mew": 0.5} | style | (marker_kwargs or {})
        ax.plot(*x_N2[y_N == label].T, linestyle="none", label=f"y={label}", **style)
    loss = log_loss(y_N, clf.predict_proba(x_N2)[:, 1], labels=[0, 1])
    error = zero_one_loss(y_N, clf.predict(x_N2))
    prefix = f"{title_prefix}: " if title_prefix else ""
    # At a fixed height: else every draw measures the panel's ticks to place it.
    ax.set_title(title_format.format(prefix=prefix, loss=loss, error=error), y=1.0)
    ax.set(xlim=x1_lims, ylim=x2_lims)
    for lims, set_ticks in ((x1_lims, ax.set_xticks), (x2_lims, ax.set_yticks)):
        whole = np.arange(np.ceil(lims[0]), np.floor(lims[1]) + 1)
        set_ticks(whole if ticks is None else ticks)
    if show_colorbar:
        ax.figure.colorbar(image, ax=ax, label="P(y=1 | x)")
    return ax


def grid_shape(n_panels):
    """Rows and columns of a near-square grid: 16 -> (4, 4), 10 -> (3, 4)."""
    if n_panels < 1:
        raise ValueError(f"n_panels must be at least 1, got {n_panels}.")
    n_cols = math.ceil(math.sqrt(n_panels))
    return math.ceil(n_panels / n_cols), n_cols


def _subplots_in_inches(n_rows, n_cols, gaps, margins, height=None, **subplots_kw):
    """``plt.subplots`` :data:`TEXT_WIDTH` wide, with ``gaps`` (x, y) and ``margins``
    (left, right, top, bottom) in inches and panels ``height`` inches high (square
    if None): a fixed layout, no layout engine to run at every draw."""
    (gap_x, gap_y), (left, right, top, bottom) = gaps, margins
    width = (TEXT_WIDTH - left - right - (n_cols - 1) * gap_x) / n_cols
    height = width if height is None else height
    fig_height = top + bottom + n_rows * height + (n_rows - 1) * gap_y
    edges = {"left": left / TEXT_WIDTH, "right": 1 - right / TEXT_WIDTH}
    edges |= {"top": 1 - top / fig_height, "bottom": bottom / fig_height}
    return plt.subplots(
        n_rows, n_cols, figsize=(TEXT_WIDTH, fig_height), squeeze=False,
        gridspec_kw=edges | {"wspace": gap_x / width, "hspace": gap_y / height},
        **subplots_kw,
    )  # fmt: skip


def make_grid_axes(n_panels, margins=(0.42, 1.0, 0.2, 0.38)):
    """``n_panels`` Axes in reading order, in a near-square grid of square panels
    0.95 in wide, centred on a figure :data:`TEXT_WIDTH` wide (unused panels
    hidden). The Axes are unshared: shared ones would pass each panel's ticks on
    to the others. ``margins`` are the least left, right, top and bottom margins
    in inches (the right one holds a colour bar and the legend)."""
    n_rows, n_cols = grid_shape(n_panels)
    left, right, top, bottom = margins
    gaps = (0.12, 0.22)  # room for one-line titles
    spare = TEXT_WIDTH - left - right - n_cols * 0.95 - (n_cols - 1) * gaps[0]
    margins = (left + max(spare, 0) / 2, right + max(spare, 0) / 2, top, bottom)
    axes = _subplots_in_inches(n_rows, n_cols, gaps, margins)[1].ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return axes[:n_panels]


def plot_probability_grid(clfs, x_N2, y_N, labels=None, title=None):
    """One probability plot per fitted classifier, in a grid, with one colour bar.

    Drawn for grey print: the map's lightness rises with p
    (:data:`LIGHTNESS_CMAP`) and each panel shows its p = 0.5 boundary. Each
    panel's title gives its label and its error on ``(x_N2, y_N)``, the points
    drawn in every panel (the training set); the outer panels carry the axis
    labels; the right margin holds the colour bar and the legend of the markers.

    Parameters
    ----------
    labels : list of str, optional
        Title prefix of each panel; by default ``'seed k'`` from each
        classifier's ``random_state``.
    title : str, optional
        Title of the whole figure.

    Returns
    -------
    axes : ndarray of Axes
    """
    if labels is None:
        labels = [f"seed {clf.random_state}" for clf in clfs]
    top = 0.45 if title else 0.2  # room for the figure's title
    axes = make_grid_axes(len(clfs), margins=(0.42, 1.0, top, 0.38))
    n_cols = grid_shape(len(clfs))[1]
    x_N2, y_N = np.asarray(x_N2, dtype=float), np.asarray(y_N)
    for i, (clf, label, ax) in enumerate(zip(clfs, labels, axes)):
        plot_pretty_probabilities_for_clf(
            clf,
            x_N2,
            y_N,
            ax=ax,
            title_prefix=label,
            title_format="{prefix}error {error:.3f}",
            n_grid=81,
            image_kwargs={"cmap": LIGHTNESS_CMAP},
            marker_kwargs={"markersize": 2.0},
            boundary_kwargs={},
            # Ticks at the blobs' centres only: the ends would touch the next panel's.
            ticks=[-1, 0, 1],
        )
        ax.title.set_fontsize(SMALLEST_FONT)
        # A white underlay keeps the black markers visible on the map's dark end
        # (a path effect draws marker by marker, twice the grid's time).
        underlay = MARKERS[1] | {"color": "white", "markersize": 2.0, "mew": 1.6}
        ax.plot(*x_N2[y_N == 1].T, linestyle="none", zorder=1.9, **underlay)
        bottom_row, left_column = i + n_cols >= len(clfs), i % n_cols == 0
        # Short ticks: a panel's title sits just below the panel above. Only the
        # outer panels label their ticks and axes.
        ax.tick_params(
            labelsize=SMALLEST_FONT, pad=1.5, length=2,
            labelbottom=bottom_row, labelleft=left_column,
        )  # fmt: skip
        if bottom_row:
            ax.set_xlabel("$x_1$", fontsize=LABEL_FONT, labelpad=1)
        if left_column:
            ax.set_ylabel("$x_2$", fontsize=LABEL_FONT, labelpad=1)
    fig = axes[0].figure
    mappable = plt.cm.ScalarMappable(cmap=LIGHTNESS_CMAP, norm=plt.Normalize(0.0, 1.0))
    box = Bbox.union([ax.get_position() for ax in axes])
    cax = fig.add_axes(
        [box.x1 + 0.025, box.y0 + 0.3 * box.height, 0.02, 0.55 * box.height]
    )
    bar = fig.colorbar(mappable, cax=cax)
    bar.set_label("P(y=1 | x)", fontsize=LABEL_FONT)
    bar.ax.tick_params(labelsize=SMALLEST_FONT)
    fig.legend(
        handles=[
            Line2D([], [], linestyle="none", markersize=5, label=f"y={label}", **style)
            for label, style in MARKERS.items()
        ],
        loc="upper left",
        bbox_to_anchor=(box.x1 + 0.01, box.y0 + 0.25 * box.height),
        fontsize=LABEL_FONT,
        frameon=False,
        handletextpad=0.2,
        title="points",
        title_fontsize=LABEL_FONT,
    )
    if title:
        fig.suptitle(title, fontsize=10, y=1 - 0.1 / fig.get_figheight(), va="top")
    return np.asarray(axes)


def plot_loss_curves(curves, xlabels=None, row=None, col="setting", solid=None):
    """Loss curves of all runs, one line per run and one panel per setting.

    A seed has the same colour in every panel. Each panel's x range fits its own
    runs, so that short runs fill their panel as long ones do; the y range is 0
    to 1 in all.

    Parameters
    ----------
    curves : pandas.DataFrame
        Long form: one row per point of a curve, with columns ``setting``,
        ``seed``, ``iteration`` and ``loss`` (and ``row`` and ``col`` when given).
    xlabels : dict, optional
        Setting to its x-axis label (default 'iteration').
    row, col : str, optional
        Columns whose values make the rows and the columns of the grid (``col``
        by default ``'setting'``); without ``row``, the settings wrap two to a row.
    solid : str, optional
        A boolean column: its runs are drawn solid, the others dashed, and the
        first panel's legend names both (for grey print, where colours merge).

    Returns
    -------
    axes : ndarray of Axes
        One per setting, in the order of the table.
    """
    first = curves.groupby("setting", sort=False).first()
    if row:
        rows, cols = (list(dict.fromkeys(curves[c])) for c in (row, col))
        where = [(rows.index(r), cols.index(c)) for r, c in zip(first[row], first[col])]
    else:
        cols = range(min(2, len(first)))
        rows = range(math.ceil(len(first) / len(cols)))
        where = [divmod(i, len(cols)) for i in range(len(first))]
    # Panels 1.3 in high, with room under each for its x label and above it for
    # its title, so that neither touches the next row's.
    fig, axes_RC = _subplots_in_inches(
        len(rows), len(cols), (0.35, 0.7), (0.55, 0.1, 0.25, 0.4), 1.3, sharey=True
    )
    colors = plt.get_cmap("tab20").colors
    dashed = (0, (3, 2))  # the runs outside ``solid``
    color_of = {s: colors[k % 20] for k, s in enumerate(sorted(set(curves["seed"])))}
    axes = np.asarray([axes_RC[rc] for rc in where])
    for ax, (name, runs) in zip(axes, curves.groupby("setting", sort=False)):
        for seed, run in runs.groupby("seed", sort=False):
            style = "-" if solid is None or run[solid].iloc[0] else dashed
            ax.plot(run["iteration"].to_numpy(), run["loss"].to_numpy(),
                    color=color_of[seed], linewidth=0.9, alpha=0.8,
                    linestyle=style)  # fmt: skip
        ax.set_title(f"{name} ({runs['seed'].nunique()} runs)", fontsize=LABEL_FONT)
        ax.set_xlabel((xlabels or {}).get(name, "iteration"), fontsize=LABEL_FONT)
        ax.set(xlim=(0, max(runs["iteration"].max(), 1)), ylim=(0.0, 1.0))
        ax.tick_params(labelsize=SMALLEST_FONT)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.3)
    for ax in axes_RC[:, 0]:
        ax.set_ylabel("training loss", fontsize=LABEL_FONT)
    for ax in set(axes_RC.ravel()) - set(axes):
        ax.set_visible(False)
    if solid is not None:
        handles = [
            Line2D([], [], color="grey", linewidth=0.9, linestyle=style, label=label)
            for style, label in (("-", solid.replace("_", " ")), (dashed, "other"))
        ]
        axes[0].legend(
            handles=handles, fontsize=SMALLEST_FONT, frameon=False, loc="upper right"
        )
    return axes


def wilson_errorbar(solved_flags):
    """seaborn's ``errorbar=`` callable: the 95 % Wilson score interval of 0/1
    outcomes, as SciPy computes it."""
    flags = np.asarray(solved_flags, dtype=bool)
    interval = binomtest(int(flags.sum()), len(flags)).proportion_ci(method="wilson")
    return interval.low, interval.high


DODGE = 0.5  # width over which the settings' points of a condition spread
# One shape per setting, so that the series read apart without colour.
SERIES_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "p"]


def plot_success_rates(runs, ax=None, reference=None):
    """Share of runs that solve XOR, per condition and setting, with 95 % intervals.

    Drawn by seaborn's ``pointplot``, with the Wilson score interval of each group
    as its error bar. Each setting has its own colour and marker shape; the
    markers are hollow, so that no interval hides behind its marker.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run, with columns ``condition``, ``setting`` and a boolean
        ``solved``.
    reference : dict, optional
        Setting to a rate to mark with a cross on the first condition (e.g.
        the rate of the main runs).
    """
    import seaborn as sns

    if ax is None:
        fig, ax = plt.subplots(figsize=(TEXT_WIDTH, 2.6))
        fig.subplots_adjust(left=0.09, right=0.99, top=0.97, bottom=0.22)
    settings = list(dict.fromkeys(runs["setting"]))
    sns.pointplot(
        data=runs.assign(solved=runs["solved"].astype(float)),
        x="condition",
        y="solved",
        hue="setting",
        order=list(dict.fromkeys(runs["condition"])),
        hue_order=settings,
        estimator="mean",
        errorbar=wilson_errorbar,
        dodge=DODGE,
        linestyle="none",
        capsize=0.06,
        markers=[SERIES_MARKERS[i % len(SERIES_MARKERS)] for i in range(len(settings))],
        markersize=4.5,
        markerfacecolor="white",
        markeredgewidth=1.2,
        err_kws={"linewidth": 1.2, "zorder": 3},
        ax=ax,
    )
    if reference:
        # pointplot spreads the hues' points evenly over DODGE, centred on the tick.
        offsets = np.linspace(-DODGE / 2, DODGE / 2, len(settings))
        # Just right of each point, so that neither hides the other.
        xs = [offsets[settings.index(s)] + 0.05 for s in reference if s in settings]
        ys = [reference[s] for s in reference if s in settings]
        ax.plot(xs, ys, "kx", markersize=6, label="main runs", zorder=5)
    ax.set(xlabel="", ylim=(-0.05, 1.05))  # room for the markers at 0 and 1
    ax.set_ylabel("share of runs solving XOR", fontsize=LABEL_FONT)
    ax.tick_params(labelsize=LABEL_FONT)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(
        fontsize=LABEL_FONT,
        ncols=len(settings) + 1,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        frameon=False,
    )
    return ax
