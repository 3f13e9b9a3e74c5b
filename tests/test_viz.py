"""Plot helpers: what they draw, the scores in the title, and their errors."""

import re
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.metrics import log_loss, zero_one_loss
from sklearn.svm import LinearSVC

import viz_tools_for_binary_classifier as viz
from MLPClassifierWithSolverLBFGS import MLPClassifierLBFGS


@pytest.fixture(scope="module")
def fitted(small_xor):
    X, y = small_xor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            MLPClassifierLBFGS(hidden_layer_sizes=[2], random_state=s).fit(X, y)
            for s in range(3)
        ]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def title_scores(ax):
    return [float(v) for v in re.findall(r"\d+\.\d+", ax.get_title())]


def test_probability_plot_draws_image_points_and_true_scores(fitted, small_xor):
    X, y = small_xor
    clf = fitted[1]
    _, ax = plt.subplots()
    out = viz.plot_pretty_probabilities_for_clf(clf, X, y, ax=ax, n_grid=5)
    assert out is ax
    (image,) = ax.get_images()
    # Row 0 is x2 = -2 (origin 'lower'), column 4 is x1 = 2.
    corner = clf.predict_proba([[2.0, -2.0]])[0, 1]
    assert image.get_array()[0, 4] == pytest.approx(corner)
    assert image.get_clim() == (0.0, 1.0)
    counts = sorted(len(line.get_xdata()) for line in ax.get_lines())
    assert counts == sorted(np.bincount(y).tolist())
    loss, error = title_scores(ax)
    assert loss == pytest.approx(log_loss(y, clf.predict_proba(X)[:, 1]), abs=5e-4)
    assert error == pytest.approx(zero_one_loss(y, clf.predict(X)), abs=5e-4)
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-2.0, 2.0)


class Ramp:
    """A classifier whose P(y=1) rises linearly from 0 at x1 = -2 to 1 at x1 = 2,
    or stays at ``flat`` everywhere."""

    random_state = 0

    def __init__(self, flat=None):
        self.flat = flat

    def predict_proba(self, X):
        x1 = np.asarray(X, dtype=float)[:, 0]
        p_N = np.full(len(x1), self.flat) if self.flat else np.clip((x1 + 2) / 4, 0, 1)
        return np.column_stack([1 - p_N, p_N])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def lightness(rgb):
    """CIELAB L* of sRGB colours (0-1): what a grey print keeps of a colour."""
    rgb = np.asarray(rgb, dtype=float)[..., :3]
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    Y = linear @ [0.2126, 0.7152, 0.0722]
    return np.where(Y > 216 / 24389, 116 * np.cbrt(Y) - 16, 24389 / 27 * Y)


def test_the_grids_map_prints_every_0_1_of_p_as_another_grey():
    X = np.array([[-1.0, 1.7], [1.0, 1.7]])  # the points, clear of the samples
    (ax,) = viz.plot_probability_grid([Ramp()], X, np.array([0, 1]))
    fig = ax.figure
    fig.set_dpi(240)  # as printed
    fig.canvas.draw()
    rgb_HW3 = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255
    height = fig.canvas.get_width_height()[1]

    def drawn_lightness(p):  # at x1 where the ramp gives p, below the points
        col, row = ax.transData.transform((4 * p - 2, -0.5))
        return float(lightness(rgb_HW3[height - int(row), int(col)]))

    # Bands of 0.05: sample each band's middle, 0.1 (two bands) apart.
    drawn = [drawn_lightness(p) for p in np.arange(0.025, 1, 0.1)]
    assert all(np.diff(drawn) >= 3), np.round(drawn, 1)
    # The map itself, band by band.
    bands = lightness(viz.LIGHTNESS_CMAP(np.arange(0.025, 1, 0.05)))
    assert all(bands[2:] - bands[:-2] >= 3), np.round(bands, 1)


def boundary_levels(ax):
    return [list(c.levels) for c in ax.collections if hasattr(c, "levels")]


def test_the_grids_draw_the_boundary_but_where_p_is_0_5_everywhere():
    X = np.array([[-1.0, 1.7], [1.0, 1.7]])
    ramp, flat = viz.plot_probability_grid([Ramp(), Ramp(flat=0.5)], X, [0, 1])
    assert boundary_levels(ramp) == [[0.5]]
    assert boundary_levels(flat) == []
    # A single plot keeps the course's default: no boundary unless asked for.
    single = viz.plot_pretty_probabilities_for_clf(Ramp(), X, [0, 1])
    assert boundary_levels(single) == []
    drawn = viz.plot_pretty_probabilities_for_clf(
        Ramp(), X, [0, 1], boundary_kwargs={"colors": "k"}
    )
    assert boundary_levels(drawn) == [[0.5]]


def test_probability_plot_makes_its_own_axes_and_colorbar(fitted, small_xor):
    X, y = small_xor
    ax = viz.plot_pretty_probabilities_for_clf(
        fitted[0], X, y, show_colorbar=True, title_prefix="seed 0"
    )
    assert len(ax.figure.axes) == 2  # the plot and its colour bar
    assert ax.get_title().startswith("seed 0: log loss")


def test_classifier_without_predict_proba_is_a_type_error(small_xor):
    X, y = small_xor
    svm = LinearSVC().fit(X, y)
    with pytest.raises(TypeError, match="LinearSVC has no predict_proba"):
        viz.plot_pretty_probabilities_for_clf(svm, X, y)


@pytest.mark.parametrize(
    "n, shape", [(1, (1, 1)), (3, (2, 2)), (9, (3, 3)), (10, (3, 4)), (16, (4, 4))]
)
def test_grid_shape_fits_the_number_of_runs(n, shape):
    assert viz.grid_shape(n) == shape
    axes = viz.make_grid_axes(n)
    fig = axes[0].figure
    assert len(axes) == n
    assert sum(ax.get_visible() for ax in fig.axes) == n
    assert len(fig.axes) == shape[0] * shape[1]


def test_probability_grid_one_panel_per_run_with_one_colorbar(fitted, small_xor):
    X, y = small_xor
    axes = viz.plot_probability_grid(fitted, X, y, ["a", "b", "c"], title="T")
    assert len(axes) == 3
    assert [ax.get_title().split(":")[0] for ax in axes] == ["a", "b", "c"]
    (error,) = title_scores(axes[0])
    assert error == pytest.approx(zero_one_loss(y, fitted[0].predict(X)), abs=5e-4)
    fig = axes[0].figure
    assert fig.get_suptitle() == "T"
    assert len(fig.axes) == 4 + 1  # 2x2 grid (one hidden) and the colour bar


def test_loss_curves_one_line_per_run_one_panel_per_setting():
    import pandas as pd

    curves = pd.DataFrame(
        [
            {"setting": name, "seed": seed, "iteration": i, "loss": loss}
            for name, runs in {
                "s1": {0: [1.0, 0.5, 0.2], 1: [0.9, 0.8]},
                "s2": {0: [0.7, 0.1], 1: [0.7, 0.1], 2: [0.6, 0.2]},
            }.items()
            for seed, curve in runs.items()
            for i, loss in enumerate(curve)
        ]
    )
    axes = viz.plot_loss_curves(curves, xlabels={"s1": "epoch"})
    assert [len(ax.get_lines()) for ax in axes] == [2, 3]
    assert all(ax.get_ylim() == (0.0, 1.0) for ax in axes)
    assert axes[0].get_xlabel() == "epoch" and axes[1].get_xlabel() == "iteration"
    assert axes[0].get_title() == "s1 (2 runs)"
    drawn = sorted(tuple(line.get_ydata()) for line in axes[0].get_lines())
    assert drawn == [(0.9, 0.8), (1.0, 0.5, 0.2)]
    # Each panel's x range fits its own runs; a seed keeps its colour.
    assert axes[0].get_xlim() == (0, 2) and axes[1].get_xlim() == (0, 1)
    assert axes[0].get_lines()[1].get_color() == axes[1].get_lines()[1].get_color()
    # For grey print: the runs of a boolean column solid, the others dashed.
    curves["zero_error"] = (
        curves["loss"].groupby([curves["setting"], curves["seed"]]).transform("min")
        < 0.3
    )
    axes = viz.plot_loss_curves(curves, solid="zero_error")
    styles = {tuple(line.get_ydata()): line.get_linestyle() for line in axes[0].lines}
    assert styles[(1.0, 0.5, 0.2)] == "-" and styles[(0.9, 0.8)] == "--"
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert labels == ["zero error", "other"]


def test_success_rates_plot_draws_each_setting_with_its_wilson_interval():
    import pandas as pd

    from hw04 import stats

    runs = pd.DataFrame(
        {
            "condition": ["c1"] * 8 + ["c2"] * 8,
            "setting": (["a"] * 4 + ["b"] * 4) * 2,
            "solved": [True, False, False, False, True, True, False, False] * 2,
        }
    )
    ax = viz.plot_success_rates(runs, reference={"a": 0.25})
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["a", "b", "main runs"]
    low, high = stats.wilson_interval(1, 4)
    spans = {
        (round(np.nanmin(line.get_ydata()), 6), round(np.nanmax(line.get_ydata()), 6))
        for line in ax.get_lines()
        if len(line.get_ydata()) > 2  # an error bar with its caps
    }
    assert (round(low, 6), round(high, 6)) in spans
    assert ax.get_ylabel() == "share of runs solving XOR"
    # Every setting its own marker shape, in the plot and in the legend, hollow.
    points = [line for line in ax.get_lines() if line.get_marker() not in ("", "None")]
    shapes = {line.get_marker() for line in points if line.get_label() != "main runs"}
    assert len(shapes) == 2
    handles = ax.get_legend().legend_handles
    assert len({h.get_marker() for h in handles}) == 3
    assert all(line.get_markerfacecolor() == "white" for line in points[:-1])


def all_texts(fig):
    """Every visible text of a figure: titles, labels, tick labels, legends."""
    return [
        t
        for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_visible())
        if hasattr(t, "get_text") and t.get_text().strip()
    ]


def test_figures_are_drawn_for_the_printed_page(fitted, small_xor):
    import pandas as pd

    X, y = small_xor
    grid = viz.plot_probability_grid(fitted * 5 + fitted[:1], X, y, title="T")
    fig = grid[0].figure
    curves = pd.DataFrame(
        [
            {"setting": f"{s}-{a}", "solver": s, "activation": a, "seed": k,
             "iteration": i, "loss": 1 / (i + 1)}
            for s, n in (("lbfgs", 30), ("sgd", 400))
            for a in ("relu", "logistic")
            for k in range(2)
            for i in range(n // (k + 1))
        ]
    )  # fmt: skip
    loss_axes = viz.plot_loss_curves(curves, row="solver", col="activation")
    runs = pd.DataFrame(
        {"condition": ["c1"] * 8, "setting": ["a"] * 4 + ["b"] * 4,
         "solved": [True, False] * 4}
    )  # fmt: skip
    rates = viz.plot_success_rates(runs, reference={"a": 0.5})
    for figure in (fig, loss_axes[0].figure, rates.figure):
        assert figure.get_figwidth() == pytest.approx(viz.TEXT_WIDTH)
        small = [(t.get_text(), t.get_fontsize()) for t in all_texts(figure)
                 if t.get_fontsize() < viz.SMALLEST_FONT]  # fmt: skip
        assert not small, small
    # The grid: axis labels on the outer panels, a legend for the markers.
    assert grid[-1].get_xlabel() == "$x_1$" and grid[0].get_ylabel() == "$x_2$"
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["y=0", "y=1"]
    # Each loss panel's x range fits its runs; the y range is 0 to 1.
    assert [ax.get_xlim()[1] for ax in loss_axes] == [29, 29, 399, 399]
    assert all(ax.get_ylim() == (0.0, 1.0) for ax in loss_axes)
    assert [ax.get_title() for ax in loss_axes][0] == "lbfgs-relu (2 runs)"
    # A row's x label and tick labels stay clear (4 pt) of the titles below.
    loss_fig = loss_axes[0].figure
    renderer = loss_fig.canvas.get_renderer()
    for upper in loss_axes[:2]:
        below = upper.xaxis.get_tightbbox(renderer)
        for lower in loss_axes[2:]:
            gap = below.y0 - lower.title.get_window_extent(renderer).y1
            assert gap >= 4 / 72 * loss_fig.dpi, gap
