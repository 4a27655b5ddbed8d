"""Matplotlib figures from stored results (never from a live model).

Figures are drawn with the non-interactive Agg backend so they work on a headless
machine, in CI and in worker processes alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..lab.atomic import replacing
from .compare import ANY, NO_RANGES, band, members


def _band_plot(
    ax, ts: pd.DataFrame, metric: str, label: str | None = None, color=None, within=ANY
) -> None:
    b = band(ts, metric, within=within)
    line = ax.plot(b.index, b["mean"], label=label, color=color, lw=2)[0]
    ax.fill_between(b.index, b["lo"], b["hi"], color=line.get_color(), alpha=0.25, lw=0)


NIC_PANELS = (
    ("mean_outcome", "Mean outcome"),
    ("equity_gap", "Equity gap (top - bottom quarter)"),
)


def outcome_figure(
    ts: pd.DataFrame,
    path: str | Path,
    title: str = "",
    panels: tuple[tuple[str, str], ...] = NIC_PANELS,
    time_unit: str = "Month",
    ranges: Mapping[str, tuple[float, float]] = NO_RANGES,
) -> Path:
    """Metrics over time (by default the NIC's mean outcome and equity gap), up to three a
    row: the mean across replications with its 95% CI, cut to the metric's range."""
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4 * rows), sharex=True, squeeze=False)
    n = ts["run_id"].nunique()
    flat = axes.ravel()
    for ax, (metric, name) in zip(flat, panels, strict=False):
        _band_plot(ax, ts, metric, within=ranges.get(metric, ANY))
        ax.set_xlabel(time_unit)
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    for ax in flat[len(panels) :]:
        ax.set_visible(False)
    flat[0].set_title(f"{title} ({n} runs; band: 95% CI of the mean)".strip())
    return _save(fig, path)


def _groups(df: pd.DataFrame, by: str, order: list | None) -> list[tuple]:
    """(value, rows) per value of ``by``, sorted, or in ``order`` so figures match a table."""
    if order is None:
        return list(df.groupby(by, sort=True))
    return [(value, members(df, by, value)) for value in order]


def group_trajectories(
    ts: pd.DataFrame,
    by: str,
    metric: str,
    path: str | Path,
    ylabel: str,
    order: list | None = None,
    time_unit: str = "Month",
    within: tuple[float, float] = ANY,
) -> Path:
    """One mean trajectory with a 95% band per value of ``by`` (in ``order`` if given),
    the band cut to the metric's range ``within``."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for value, group in _groups(ts, by, order):
        _band_plot(ax, group, metric, label=f"{by} = {value}", within=within)
    ax.set_xlabel(time_unit)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def final_distribution(
    runs: pd.DataFrame, by: str, metric: str, path: str | Path, order: list | None = None
) -> Path:
    """Distribution of a final metric per group (in ``order`` if given): box plot and runs."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    groups = [(v, g[metric].dropna().to_numpy()) for v, g in _groups(runs, by, order)]
    ax.boxplot([g for _, g in groups], showfliers=False)
    rng = np.random.default_rng(0)  # jitter only: fixed so figures are reproducible
    for i, (_, values) in enumerate(groups, start=1):
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(values)), values, s=6, alpha=0.4)
    ax.set_xticks(range(1, len(groups) + 1), [str(v) for v, _ in groups])
    ax.set_xlabel(by)
    ax.set_ylabel(f"final {metric}")
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, path)


def _save(fig, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` whole or not at all: a full disk or a Ctrl-C while it is
    written leaves the earlier figure, not a truncated one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.tight_layout()
        with replacing(path) as tmp:
            fig.savefig(tmp, dpi=120, format=path.suffix.lstrip(".") or None)
    finally:
        plt.close(fig)
    return path


def sensitivity_figure(table: pd.DataFrame, method: str, path: str | Path, title: str) -> Path:
    """Morris: mu* with its confidence interval against sigma; Sobol: S1 and ST bars."""
    names = table["parameter"].tolist()
    fig, ax = plt.subplots(figsize=(7, max(4.5, 0.28 * len(names) + 1.5)))
    y = np.arange(len(names))
    if method == "morris":
        # against a dummy parameter: inert ones (and those without a verdict) grey, those
        # no run reads pale grey, the dummy black
        shade = {"acts": "C0", "inert": "0.7", "n/a": "0.7", "not read": "0.88", "dummy": "k"}
        colors = [shade[v] for v in table["vs_dummy"]] if "vs_dummy" in table else "C0"
        ax.barh(y, table["mu_star"], xerr=table["mu_star_conf"], color=colors, label="mu*")
        ax.scatter(table["sigma"], y, color="C3", zorder=3, label="sigma")
        ax.set_xlabel("elementary effect on the output")
    else:
        ax.barh(y - 0.2, table["S1"], 0.4, xerr=table["S1_conf"], label="S1 (first order)")
        ax.barh(y + 0.2, table["ST"], 0.4, xerr=table["ST_conf"], label="ST (total)")
        ax.set_xlabel("share of output variance")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, path)


# -- replications: figures from compact tables (analysis.trajectories / summary_at) -----------
def _label(name: str, value, labels: dict | None) -> str:
    return (labels or {}).get(value, f"{name} = {value}")


def trajectory_panels(
    traj: pd.DataFrame,
    metric: str,
    line_by: str,
    path: str | Path,
    ylabel: str,
    panel_by: str | None = None,
    labels: dict | None = None,
    title: str = "",
) -> Path:
    """Mean trajectory with its 95% band per value of ``line_by``, one panel per ``panel_by``.

    Drawn from :func:`nicsim.analysis.compare.trajectories` rows, so a figure can be redrawn from
    the small committed table rather than from every run's time series.
    """
    rows = traj[traj["metric"] == metric]
    panels = [(None, rows)] if panel_by is None else list(rows.groupby(panel_by, sort=False))
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.5), squeeze=False)
    for ax, (panel, data) in zip(axes[0], panels, strict=True):
        for value, line in data.groupby(line_by, sort=False):
            line = line.sort_values("step")
            drawn = ax.plot(line["step"], line["mean"], lw=2, label=_label(line_by, value, labels))
            ax.fill_between(
                line["step"], line["lo"], line["hi"], color=drawn[0].get_color(), alpha=0.25, lw=0
            )
        ax.set_xlabel("Round")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        if panel is not None:
            ax.set_title(_label(panel_by, panel, labels))
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def _mean_with_ci(ax, x, line: pd.DataFrame, **style) -> None:
    """Means (``line``'s ``mean``) at ``x`` with bars to their 95% CI (``ci_low``, ``ci_high``)."""
    err = [line["mean"] - line["ci_low"], line["ci_high"] - line["mean"]]
    ax.errorbar(x, line["mean"], yerr=err, marker="o", ms=4, **style)


def against_parameter(
    summary: pd.DataFrame,
    x: str,
    series: str,
    path: str | Path,
    xlabel: str,
    ylabel: str,
    labels: dict | None = None,
    title: str = "",
    logx: bool = False,
) -> Path:
    """Mean with its 95% CI against a swept parameter, one line per value of ``series``."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for value, line in summary.groupby(series, sort=False):
        line = line.sort_values(x)
        _mean_with_ci(ax, line[x], line, capsize=3, lw=1.5, label=_label(series, value, labels))
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return _save(fig, path)


def beside_published(
    ours: pd.DataFrame,
    theirs: pd.DataFrame,
    x: str,
    series: str,
    path: str | Path,
    xlabel: str,
    ylabel: str,
    labels: dict | None = None,
    title: str = "",
) -> Path:
    """A docking figure: nicsim's means with 95% CIs (solid) beside a published model's
    means (dashed, open markers), one colour per value of ``series``.

    ``ours`` has ``x``, ``series``, ``mean``, ``ci_low`` and ``ci_high``; ``theirs`` has
    ``x``, ``series`` and ``mean``. A text ``x`` (a network's name) is drawn as categories
    in the order first met in ``ours``.
    """
    fig, ax = plt.subplots(figsize=(9, 5))
    categorical = not pd.api.types.is_numeric_dtype(ours[x])
    order = list(dict.fromkeys(ours[x])) if categorical else None

    def position(values: pd.Series) -> np.ndarray:
        return np.array([order.index(v) for v in values]) if categorical else values.to_numpy()

    keys = list(labels or {})
    for i, (value, line) in enumerate(ours.groupby(series, sort=False)):
        color = f"C{keys.index(value) if value in keys else i}"  # a series keeps its colour
        line = line.sort_values(x, key=position if categorical else None)
        where, label = position(line[x]), f"{_label(series, value, labels)} (nicsim)"
        if len(line) > 30:  # a trajectory: a band, not a forest of bars
            ax.plot(where, line["mean"], color=color, lw=2, label=label)
            ax.fill_between(where, line["ci_low"], line["ci_high"], color=color, alpha=0.2, lw=0)
        else:
            _mean_with_ci(ax, where, line, color=color, capsize=2, label=label)
        pub = theirs[theirs[series] == value]
        if categorical:
            pub = pub[pub[x].isin(order)]
        pub = pub.sort_values(x, key=position if categorical else None)
        ax.plot(
            position(pub[x]),
            pub["mean"],
            color=color,
            ls="--",
            marker="s",
            mfc="none",
            ms=5,
            lw=1,
            label=f"{_label(series, value, labels)} (published code)",
        )
    if categorical:
        ax.set_xticks(range(len(order)), order, rotation=30, ha="right")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.5 * (high - low))  # room above the data for the legend
    ax.legend(fontsize=7, ncol=2, loc="upper center")
    if title:
        ax.set_title(title)
    return _save(fig, path)


def quantile_boxes(
    ours: pd.DataFrame,
    theirs: pd.DataFrame,
    x: str,
    path: str | Path,
    xlabel: str,
    ylabel: str,
    labels: dict | None = None,
    title: str = "",
) -> Path:
    """A docking figure of spreads: for each value of ``x``, a published model's box (left,
    open, dashed) beside nicsim's (right, filled), both drawn from quantiles alone: the box
    from 25% to 75%, a line at the median, whiskers from 5% to 95%, no points beyond.

    ``ours`` and ``theirs`` have ``x`` and the columns ``q5``, ``q25``, ``q50``, ``q75`` and
    ``q95``; ``x`` is drawn in the order first met in ``ours``, each value in its colour
    of ``labels`` as in :func:`beside_published`.
    """
    from matplotlib.patches import Patch

    def stats(row) -> dict:
        return {
            "whislo": row["q5"],
            "q1": row["q25"],
            "med": row["q50"],
            "q3": row["q75"],
            "whishi": row["q95"],
        }

    order = list(dict.fromkeys(ours[x]))
    keys = list(labels or {})
    fig, ax = plt.subplots(figsize=(9, 5))
    for i, value in enumerate(order):
        color = f"C{keys.index(value) if value in keys else i}"
        pub = theirs[theirs[x] == value]
        for where, rows, style in (
            (i - 0.19, pub, {"facecolor": "none", "edgecolor": color, "linestyle": "--"}),
            (i + 0.19, ours[ours[x] == value], {"facecolor": color, "alpha": 0.45}),
        ):
            if rows.empty:
                continue
            line = {"color": color, "linestyle": style.get("linestyle", "-")}
            ax.bxp(
                [stats(rows.iloc[0])],
                positions=[where],
                widths=0.32,
                showfliers=False,
                patch_artist=True,
                boxprops={**style, "lw": 1.3},
                medianprops={"color": color, "lw": 2},
                whiskerprops=line,
                capprops=line,
            )
    ax.set_xticks(range(len(order)), [_label(x, v, labels) for v in order], rotation=30, ha="right")
    ax.set_xlim(-0.6, len(order) - 0.4)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(
        handles=[
            Patch(facecolor="none", edgecolor="0.3", linestyle="--", label="published code"),
            Patch(facecolor="0.5", alpha=0.45, label="nicsim"),
        ],
        fontsize=8,
        loc="lower left",
    )
    if title:
        ax.set_title(title)
    return _save(fig, path)
