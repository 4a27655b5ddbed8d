"""Barkoczi & Galesic (2016) docking: the spread over landscapes of performance at their
last round, their quantiles (``theirs_final.csv``) against nicsim's per-landscape values, as
a section of the report and their PLOTS.R boxplot (docs/VALIDATION.md, section 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .barkoczi_galesic_tables import BG_FINAL, BG_PUBLISHED, BG_STRATEGIES, bg_tidy
from .compare import quantile_ci
from .markdown import estimate, markdown_table

# The spread over landscapes at round 199 (their PLOTS.R boxplot): the percents compared,
# those a cell must match (the box), the bootstrap's size and seed, and the sweeps read
# against each folder of theirs in ``theirs_final.csv`` with the column that tells cells
# apart besides the strategy.
BG_SPREAD = (5, 25, 50, 75, 95)
BG_SPREAD_CHECKED = (25, 50, 75)
BG_RESAMPLES = 2000
BG_RESAMPLE_SEED = 0
BG_SPREAD_TOL = 5e-7  # their quantiles are written to 6 decimals
BG_SPREAD_SECTIONS = (
    (
        "NK (N = 15, K = 7) by network",
        "results_NK",
        ("nk_social", "nk_random", "nk_individual"),
        "network",
    ),
    (
        "NK by K (fully connected)",
        "results_NK_k=0-14",
        ("k_social", "k_random", "k_individual"),
        "k",
    ),
    ("Mason & Watts by network", "results_MW", ("mw_social",), "network"),
)


def spread_check(ours, theirs: dict[int, float], n_theirs: int, percents=BG_SPREAD) -> pd.DataFrame:
    """Their quantiles of one cell against nicsim's values (one per landscape).

    One row per percent: ``theirs``, nicsim's ``estimate`` and its 95% interval, and
    ``inside``. The interval is a percentile bootstrap over nicsim's values
    (:func:`nicsim.analysis.compare.quantile_ci`, ``BG_RESAMPLES`` resamples, seed
    ``BG_RESAMPLE_SEED``) widened about nicsim's estimate by sqrt(1 + n / ``n_theirs``) and
    kept within nicsim's range of values: their quantile is itself an estimate from
    ``n_theirs`` landscapes, whose sampling variance, were both models alike, is nicsim's
    times n / ``n_theirs``. Inside means within the interval to ``BG_SPREAD_TOL`` (their 6
    decimals); no interval (fewer than two values) is never inside.
    """
    x = np.asarray(ours, dtype=float)
    x = x[~np.isnan(x)]
    table = quantile_ci(x, percents, BG_RESAMPLES, BG_RESAMPLE_SEED)
    if x.size:
        widen = np.sqrt(1 + x.size / n_theirs)
        est = table["estimate"]
        table["ci_low"] = np.maximum(est - (est - table["ci_low"]) * widen, x.min())
        table["ci_high"] = np.minimum(est + (table["ci_high"] - est) * widen, x.max())
    table["theirs"] = [theirs[int(p)] for p in table["percent"]]
    table["inside"] = (table["theirs"] >= table["ci_low"] - BG_SPREAD_TOL) & (
        table["theirs"] <= table["ci_high"] + BG_SPREAD_TOL
    )
    return table


def spread_matches(check: pd.DataFrame, checked=BG_SPREAD_CHECKED) -> bool:
    """Whether a cell matches: each of their quantiles at ``checked`` is inside nicsim's
    interval (:func:`spread_check`)."""
    return bool(check.set_index("percent").loc[list(checked), "inside"].all())


def _final_runs(root: Path, names) -> pd.DataFrame:
    """Each run's last-round values (``runs.csv``; one run is one landscape, its seed),
    named as theirs; empty when none of ``names`` has its runs table."""
    parts = []
    for name in names:
        path = root / name / "runs.csv"
        if path.exists():
            runs = pd.read_csv(path)
            runs["graph_file"] = [
                Path(v).stem if isinstance(v, str) else "fully-connected"
                for v in runs.get("graph_file", [None] * len(runs))
            ]
            parts.append(bg_tidy(name, runs))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _spread_cell(row) -> str:
    """One quantile of a cell: theirs / nicsim's [interval], and "out" when outside."""
    cell = f"{row.theirs:.3f} / {estimate(row.estimate, row.ci_low, row.ci_high)}"
    return cell if row.inside else cell + " out"


def spread_compare(
    ours: pd.DataFrame, theirs: pd.DataFrame, key: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every cell (``key`` and strategy) in both: a table with their quantile / nicsim's
    [interval] per percent of ``BG_SPREAD`` ("out" when outside) and whether the cell
    matches, and the quantiles of both sides in long form (``who``, ``key``, strategy,
    ``q5`` ... ``q95``) to draw. ``ours`` holds one row per run (``seed``, ``key``,
    ``strategy``, ``mean_outcome``); ``theirs`` rows of ``theirs_final.csv``."""
    rows, drawn = [], []
    for t in theirs.itertuples(index=False):
        t = t._asdict()
        mine = ours[(ours[key] == t[key]) & (ours["strategy"] == t["strategy"])]
        if mine.empty:
            continue
        values = mine.sort_values("seed")["mean_outcome"].to_numpy()  # a resample: landscapes
        check = spread_check(values, {p: t[f"q{p}"] for p in BG_SPREAD}, int(t["n"]))
        cells = {f"{int(c.percent)}%": _spread_cell(c) for c in check.itertuples(index=False)}
        rows.append(
            {
                key: t[key],
                "strategy": t["strategy"],
                "n (theirs / nicsim)": f"{int(t['n'])} / {len(values)}",
                **cells,
                "match": "yes" if spread_matches(check) else "no",
            }
        )
        quantiles = {
            f"q{int(p)}": v for p, v in zip(check["percent"], check["estimate"], strict=True)
        }
        drawn.append({"who": "nicsim", key: t[key], "strategy": t["strategy"], **quantiles})
        theirs_q = {f"q{p}": t[f"q{p}"] for p in BG_SPREAD}
        drawn.append({"who": "theirs", key: t[key], "strategy": t["strategy"], **theirs_q})
    return pd.DataFrame(rows), pd.DataFrame(drawn)


def spread_report(root: Path, done: list[str], figs: Path) -> list[str]:
    """Their boxplot, and every other cell: the spread over landscapes of performance at
    round 199, their quantiles against nicsim's per-landscape values."""
    from .plots import quantile_boxes

    theirs_final = pd.read_csv(BG_PUBLISHED / "theirs_final.csv", dtype={"k": "Int64"})
    out = [
        "",
        f"## Spread over landscapes: performance at round {BG_FINAL}",
        "",
        "Their PLOTS.R boxplot shows, on the fully connected network at K = 7, the six "
        "strategies' performance at round 200 (our 199), one value per landscape. Here every "
        "cell is compared so: each nicsim run is one landscape (its seed), and its final mean "
        "performance (`runs.csv`) one value. Quantiles are numpy's default, R's type 7, as "
        "theirs (`theirs_final.csv`, extracted from their .Rdata files). Each cell: their "
        "quantile / nicsim's [95% interval]. The interval is a percentile bootstrap over "
        f"nicsim's landscapes ({BG_RESAMPLES} resamples, seed {BG_RESAMPLE_SEED}: cells run "
        "on the same landscapes resample the same ones), widened about nicsim's "
        "estimate by sqrt(1 + n nicsim / n theirs) for the sampling error of their own "
        "quantile. A cell matches when their "
        + ", ".join(f"{p}%" for p in BG_SPREAD_CHECKED)
        + " are all inside (`out` marks a quantile outside); their 5% and 95% are shown and "
        "counted, not required (a bootstrap interval of a tail quantile is unreliable from a "
        "hundred values or fewer). Were both models alike, about one quantile in 20 would "
        "lie outside by chance, and about one cell in 10 would not match.",
    ]
    total = [0, 0]
    for title, results, names, key in BG_SPREAD_SECTIONS:
        runs = _final_runs(root, [n for n in names if n in done])
        if runs.empty:
            continue
        last = int(runs["steps"].max())
        if last != BG_FINAL:
            out += [
                "",
                f"{title}: nicsim's runs end at round {last}, not {BG_FINAL}: not compared.",
            ]
            continue
        theirs = theirs_final[theirs_final["results"] == results]
        table, drawn = spread_compare(runs, theirs, key)
        if table.empty:
            continue
        per_cell = runs.groupby([key, "strategy"])["seed"].nunique()
        n = f"{per_cell.min()}" + ("" if per_cell.min() == per_cell.max() else f"-{per_cell.max()}")
        match = int((table["match"] == "yes").sum())
        total[0] += match
        total[1] += len(table)
        outside = table[table["match"] == "no"]
        tails = {p: int((~table[f"{p}%"].str.endswith(" out")).sum()) for p in (5, 95)}
        out += [
            "",
            f"### {title} ({n} landscapes)",
            "",
            markdown_table(table),
            "",
            f"Cells that match: {match} of {len(table)}. Their 5% inside nicsim's interval in "
            f"{tails[5]} of {len(table)}, their 95% in {tails[95]}.",
        ]
        if not outside.empty:
            names_out = [
                f"{'K = ' if key == 'k' else ''}{r[key]} {r['strategy']} ("
                + ", ".join(f"{p}%" for p in BG_SPREAD_CHECKED if r[f"{p}%"].endswith(" out"))
                + ")"
                for _, r in outside.iterrows()
            ]
            out.append("Outside: " + "; ".join(names_out) + ".")
        if results == "results_NK":
            box = drawn[drawn["network"] == "fully-connected"]
            n_box = int(theirs.loc[theirs["network"] == "fully-connected", "n"].max())
            if not box.empty:
                quantile_boxes(
                    box[box["who"] == "nicsim"],
                    box[box["who"] == "theirs"],
                    "strategy",
                    figs / "nk_spread_fully-connected.png",
                    "",
                    f"Performance at round {BG_FINAL}",
                    labels=BG_STRATEGIES,
                    title=f"NK, K = 7, fully connected (their boxplot): boxes 25-75%, whiskers "
                    f"5-95%\nover landscapes; published code {n_box}, nicsim {n}",
                )
                out += [
                    "",
                    "Their boxplot, drawn from quantiles: `figures/nk_spread_fully-connected.png`.",
                ]
    if total[1]:
        out += ["", f"All cells: {total[0]} of {total[1]} match."]
    return out
