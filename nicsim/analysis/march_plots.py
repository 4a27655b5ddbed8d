"""Figures and tables of the March (1991) replication, drawn from stored results.

Reads what ``nicsim sweep`` wrote under ``results/replications/march_1991/<sweep>/`` (never a
live model) and draws each sweep's figure into its ``figures/`` folder. Run it after the
sweeps::

    python -m nicsim.analysis.march_plots results/replications/march_1991

It prints the Markdown tables quoted in docs/VALIDATION.md, section 2. Knowledge is shown on
the scale the published Figure 1 levels are printed on, (right - wrong) / m (``NET``); the
tables of Figure 1 also give the share of dimensions right.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from .compare import mean_ci
from .plots import _band_plot, _save, plt

VARIANTS = {
    "figure1": "original program: performance, step",
    "figure1_jump": "performance, jump",
    "figure1_knowledge": "paper's text: knowledge, jump",
    "figure1_step": "knowledge, step",
    "figure1_half": "knowledge, jump, 0 half right",
    "figure1_sequential": "knowledge, jump, sequential",
}
P1 = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# Figure 1's levels as printed by Workiewicz's recreation of the original program
# (Mac13kW/March_1991_Original, 100,000 runs per point, output (right - wrong) / m), read off
# its figure to about +-0.005. The paper's own figure is not digitised here: the replication
# presents these as its levels (docs/VALIDATION.md, section 2).
REFERENCE = {
    0.1: (0.861, 0.819, 0.803, 0.799, 0.799, 0.801, 0.805, 0.809, 0.812),
    0.5: (0.951, 0.906, 0.870, 0.837, 0.809, 0.787, 0.769, 0.753, 0.740),
    0.9: (0.972, 0.941, 0.907, 0.872, 0.839, 0.809, 0.780, 0.753, 0.729),
}
NET = "code_net_knowledge"


def reference_table() -> pd.DataFrame:
    """The published levels of Figure 1 as rows (p2, p1, reference)."""
    return pd.DataFrame(
        [
            {"p2": p2, "p1": p1, "reference": v}
            for p2, values in REFERENCE.items()
            for p1, v in zip(P1, values, strict=True)
        ]
    )


def cell_means(runs: pd.DataFrame, by: list[str], metric: str) -> pd.DataFrame:
    """Mean and 95% t interval of ``metric`` per combination of ``by``."""
    rows = []
    for key, group in runs.groupby(by, sort=True):
        m, lo, hi = mean_ci(group[metric])
        values = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, values, strict=True)), "mean": m, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def _lines(ax, table: pd.DataFrame, x: str, line: str | None, label: str) -> None:
    groups = table.groupby(line, sort=True) if line else [(None, table)]
    for value, g in groups:
        name = f"{label} = {value}" if line else label
        drawn = ax.plot(g[x], g["mean"], marker="o", lw=2, label=name)[0]
        ax.fill_between(g[x], g["lo"], g["hi"], color=drawn.get_color(), alpha=0.25, lw=0)


def _finish(fig, ax, path: Path, xlabel: str, ylabel: str, title: str) -> Path:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def _reference_lines(ax) -> None:
    """The published levels as thin black lines, one style per p2, to read against."""
    for (p2, values), style in zip(REFERENCE.items(), (":", "--", "-"), strict=True):
        ax.plot(P1, values, color="black", lw=1, ls=style, label=f"published, p2 = {p2}")


def figure1(runs: pd.DataFrame, path: Path, title: str) -> Path:
    """Equilibrium code knowledge over p1, one line per p2, with 95% confidence bands, on the
    scale the published levels are printed on, with those levels drawn in."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    _lines(ax, cell_means(runs, ["p2", "p1"], NET), "p1", "p2", "p2")
    _reference_lines(ax)
    ylabel = "equilibrium code knowledge, (right - wrong) / m"
    return _finish(fig, ax, path, "socialisation rate p1", ylabel, title)


def figure1_variants(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """Figure 1 under each reading of the paper's open details, side by side, each against
    the published levels."""
    cols = min(3, len(tables))
    rows = -(-len(tables) // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(4 * cols, 3.8 * rows), sharey=True, squeeze=False)
    axes = grid.ravel()
    for ax in axes[len(tables) :]:
        ax.set_visible(False)
    for ax, (name, runs) in zip(axes, tables.items(), strict=False):
        _lines(ax, cell_means(runs, ["p2", "p1"], NET), "p1", "p2", "p2")
        _reference_lines(ax)
        ax.set_title(VARIANTS[name], fontsize=9)
        ax.set_xlabel("p1")
        ax.grid(alpha=0.3)
    for ax in grid[:, 0]:
        ax.set_ylabel("equilibrium code knowledge, (right - wrong) / m")
    axes[0].legend(fontsize=6)
    return _save(fig, path)


def against_reference(tables: dict[str, pd.DataFrame]) -> str:
    """Each reading's Figure 1 means next to the published levels, and its largest gap."""
    ref = reference_table()
    cols = []
    for name, runs in tables.items():
        cells = cell_means(runs, ["p2", "p1"], NET)
        merged = ref.merge(cells, on=["p2", "p1"])
        ref[name] = [f"{m:.3f} ({m - r:+.3f})" for m, r in merged[["mean", "reference"]].values]
        gap = (merged["mean"] - merged["reference"]).abs()
        cols.append(f"| `{name}` ({VARIANTS[name]}) | {gap.mean():.3f} | {gap.max():.3f} |")
    lines = ["| p2 | p1 | published | " + " | ".join(f"`{n}`" for n in tables) + " |"]
    lines.append("|---" * (3 + len(tables)) + "|")
    for p2, p1, published, *cells in ref.itertuples(index=False):
        lines.append(f"| {p2:g} | {p1:g} | {published:.3f} | " + " | ".join(cells) + " |")
    gaps = ["| reading | mean abs. gap | largest abs. gap |", "|---|---|---|", *cols]
    return "\n".join([*lines, "", *gaps])


def same_mean_rate(runs: pd.DataFrame, homogeneous: pd.DataFrame) -> pd.DataFrame:
    """Homogeneous populations (Figure 1 runs at the mix's p2) placed at the number of fast
    learners that gives a mix the same mean socialisation rate."""
    p = runs.iloc[0]
    same = homogeneous[homogeneous["p2"] == p.p2]
    cells = cell_means(same, ["p1"], NET)
    cells["n_fast"] = ((cells["p1"] - p.p1) / (p.p1_fast - p.p1) * p.n).round(2)
    return cells[(cells["n_fast"] >= 0) & (cells["n_fast"] <= p.n)]


def mix_figure(runs: pd.DataFrame, path: Path, homogeneous: pd.DataFrame | None = None) -> Path:
    """Equilibrium knowledge over the number of fast learners (p1_fast) among slow ones,
    with homogeneous populations of the same mean socialisation rate for comparison."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    if homogeneous is not None:
        same = same_mean_rate(runs, homogeneous)
        _lines(ax, same, "n_fast", None, "code, homogeneous with the same mean p1")
    # at equilibrium every individual agrees with the code where it is set, so fast and slow
    # learners end with the code's knowledge (their columns are in runs.csv)
    _lines(ax, cell_means(runs, ["n_fast"], NET), "n_fast", None, "code, mixed")
    p = runs.iloc[0]
    xlabel = f"fast learners (p1 = {p.p1_fast}) among {p.n}; the rest slow (p1 = {p.p1})"
    title = f"Mixed socialisation rates, p2 = {p.p2} ({len(runs)} runs)"
    return _finish(fig, ax, path, xlabel, "equilibrium code knowledge, (right - wrong) / m", title)


def turnover_figure(runs: pd.DataFrame, path: Path) -> Path:
    """Code knowledge after the horizon over the turnover rate p3, one line per p1."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    _lines(ax, cell_means(runs, ["p1", "p3"], NET), "p3", "p1", "p1")
    p = runs.iloc[0]
    ylabel = f"code knowledge at period {p.max_periods}, (right - wrong) / m"
    return _finish(
        fig, ax, path, "turnover rate p3", ylabel, f"Turnover in a stable world, p2 = {p.p2}"
    )


def turbulence_figure(ts: pd.DataFrame, path: Path) -> Path:
    """Code knowledge over time in a turbulent world, one band per turnover rate."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for value, group in ts.groupby("p3", sort=True):
        _band_plot(ax, group, NET, label=f"p3 = {value}")
    title = "Turbulence p4 = 0.02, p1 = p2 = 0.5 (band: 95% CI)"
    return _finish(fig, ax, path, "period", "code knowledge, (right - wrong) / m", title)


def _wide(table: pd.DataFrame, row: str, col: str) -> str:
    """A Markdown table of means [95% CI] with ``row`` down and ``col`` across."""
    cols = sorted(table[col].unique())
    lines = [f"| {row} | " + " | ".join(f"{col} = {c}" for c in cols) + " |"]
    lines.append("|---" * (len(cols) + 1) + "|")
    for r, g in table.groupby(row, sort=True):
        cells = [
            f"{x.mean:.3f} [{x.lo:.3f}, {x.hi:.3f}]"
            for x in g.set_index(col).loc[cols].itertuples()
        ]
        lines.append(f"| {r} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def draw_all(root: Path) -> str:
    """Draw every figure whose sweep is present under ``root``; return the Markdown tables."""
    out: list[str] = []

    def runs_of(name: str) -> pd.DataFrame | None:
        path = root / name / "runs.csv"
        return pd.read_csv(path) if path.is_file() else None

    tables = {name: r for name in VARIANTS if (r := runs_of(name)) is not None}
    if "figure1" in tables:
        runs = tables["figure1"]
        title = f"March (1991) Figure 1: m = 30, n = 50, {len(runs)} runs"
        figure1(runs, root / "figure1" / "figures" / "figure1.png", title)
        out += ["### Figure 1 against the published levels, (right - wrong) / m", ""]
        out += [against_reference(tables), ""]
        for name, r in tables.items():
            out += [f"### {name}: {VARIANTS[name]}", ""]
            for metric in (NET, "code_knowledge"):
                cells = cell_means(r, ["p2", "p1"], metric)
                out += [f"{metric}", "", _wide(cells, "p1", "p2"), ""]
            periods = cell_means(r, ["p2", "p1"], "periods")
            out += [f"periods to equilibrium ({name})", "", _wide(periods, "p1", "p2"), ""]
    if len(tables) > 1:
        figure1_variants(tables, root / "figure1" / "figures" / "figure1_variants.png")
    if (runs := runs_of("figure3")) is not None:
        mix_figure(runs, root / "figure3" / "figures" / "figure3.png", tables.get("figure1"))
        if "figure1" in tables:
            same = same_mean_rate(runs, tables["figure1"]).assign(metric="homogeneous")
            out += ["### homogeneous, same mean p1", "", _wide(same, "n_fast", "metric"), ""]
        for metric in (NET, "periods"):
            cells = cell_means(runs, ["n_fast"], metric).assign(metric=metric)
            out += [f"### figure3: {metric}", "", _wide(cells, "n_fast", "metric"), ""]
    if (runs := runs_of("turnover")) is not None:
        turnover_figure(runs, root / "turnover" / "figures" / "turnover.png")
        cells = cell_means(runs, ["p1", "p3"], NET)
        out += ["### turnover: code knowledge at the horizon", "", _wide(cells, "p3", "p1"), ""]
    ts_path = root / "turbulence" / "timeseries.parquet"
    if ts_path.is_file():
        ts = pd.read_parquet(ts_path, columns=["run_id", "step", "p3", NET])
        turbulence_figure(ts, root / "turbulence" / "figures" / "turbulence.png")
        at = ts[ts["step"].isin([10, 25, 50, 100])]
        cells = cell_means(at, ["step", "p3"], NET)
        out += ["### turbulence: code knowledge by period", "", _wide(cells, "step", "p3"), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else "results/replications/march_1991")
    print(draw_all(root))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
