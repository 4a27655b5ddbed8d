"""Barkoczi & Galesic (2016) docking: nicsim's condensed sweeps beside the means of their
committed results, and each run's final value beside their quantiles over landscapes at
round 199, as figures and ``summary.md`` (docs/VALIDATION.md, section 4)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.params import ConfigError
from ..lab.store import write_text
from .compare import quantile_ci, summary_at
from .replications import condense, report_head
from .report import _estimate, markdown_table

BG_SWEEPS = (
    "nk_social",
    "nk_random",
    "nk_individual",
    "k_social",
    "k_random",
    "k_individual",
    "mw_social",
)
BG_STEPS = (0, 1, 5, 10, 25, 50, 100, 150, 199)
BG_PUBLISHED = Path(__file__).resolve().parents[2] / "validation" / "barkoczi_galesic_2016"
BG_STRATEGIES = {
    "best3": "best member, sample 3",
    "best9": "best member, sample 9",
    "conf3": "conformity, sample 3",
    "conf9": "conformity, sample 9",
    "random": "random copying",
    "individual": "individual learning",
}
BG_FINAL = 199  # their last round (row 200 of their tables); a shorter run reports its last
BG_TRAJECTORY_STEPS = [1, 5, 10, 25, 50, 199]
# The diameters their PLOTS.R (in their repository's history, before commit 93b5f6fb) plots
# average performance against; its first five are their "inefficient" networks.
BG_DIAMETERS = {
    "lattice": 6,
    "max-max-betweenness": 4,
    "max-mean-betweenness": 6,
    "max-mean-clustering": 7,
    "max-var-constraint": 5,
    "fully-connected": 1,
    "max-max-closeness": 3,
    "min-max-closeness": 3,
    "min-mean-betweenness": 2,
    "min-mean-clustering": 3,
}


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


def _bg_tidy(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A sweep's rows named as Barkoczi & Galesic name them: strategy, network and K."""
    frame = frame.copy()
    if name.endswith("_random") or name.endswith("_individual"):
        frame["strategy"] = name.split("_", 1)[1]
    else:
        prefix = frame["learning"].map({"copy_best": "best", "conformity": "conf"})
        frame["strategy"] = prefix + frame["sample_size"].astype(int).astype(str)
    frame["network"] = frame.get("graph_file", "fully-connected")
    if "k" not in frame:
        frame["k"] = 7
    return frame


def _theirs_and_ours(ours: pd.DataFrame, theirs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of ``by``: their mean, nicsim's mean [95% CI] and the difference."""
    merged = ours.merge(theirs, on=by, suffixes=("", "_theirs"))
    return pd.DataFrame(
        {
            **{col: merged[col] for col in by},
            "published code": merged["mean_theirs"].map(lambda v: f"{v:.3f}"),
            "nicsim": [
                _estimate(*v) for v in merged[["mean", "ci_low", "ci_high"]].to_numpy().tolist()
            ],
            "nicsim - theirs": (merged["mean"] - merged["mean_theirs"]).map(lambda v: f"{v:+.3f}"),
        }
    )


def agreement(ours: pd.DataFrame, theirs: pd.DataFrame, by: list[str]) -> str:
    """One sentence counting the cells of ``by`` where their mean lies inside nicsim's 95%
    CI, and how nicsim's means sit against theirs: the numbers the docs quote, computed
    here so that a rerun at another scale states them itself."""
    merged = ours.merge(theirs[[*by, "mean"]], on=by, suffixes=("", "_theirs"))
    if merged.empty:
        return "No cell to compare."
    inside = merged["mean_theirs"].between(merged["ci_low"], merged["ci_high"])
    gap = merged["mean"] - merged["mean_theirs"]
    return (
        f"Their mean inside nicsim's 95% CI in {int(inside.sum())} of {len(merged)} cells; "
        f"nicsim below theirs in {int((gap < 0).sum())}, by {gap.mean():+.3f} on average "
        f"(largest gaps {gap.min():+.3f} and {gap.max():+.3f})."
    )


def _winner_count(winners: pd.DataFrame) -> str:
    """How many networks have the same better strategy in theirs and in nicsim."""
    same = winners["better of best3 / conf3 (theirs)"] == winners["better (nicsim)"]
    return f"The better strategy is the same on {int(same.sum())} of {len(winners)} networks."


def _wide_compare(table: pd.DataFrame, rows: str) -> pd.DataFrame:
    """Strategies as columns, each cell "theirs / nicsim"."""
    cell = table["published code"] + " / " + table["nicsim"].str.split(" ").str[0]
    wide = table.assign(cell=cell).pivot_table(
        index=rows, columns="strategy", values="cell", aggfunc="first", sort=False
    )
    return wide[[s for s in BG_STRATEGIES if s in wide.columns]].reset_index()


def _winners(ends: pd.DataFrame, pub: pd.DataFrame) -> pd.DataFrame:
    """Per network, the better of best member and conformity (sample 3) in their results
    and in nicsim's, with the margin: the paper's headline, network by network."""
    rows = []
    for network in ends["network"].unique():
        mine = ends[ends["network"] == network].set_index("strategy")["mean"]
        their = pub[pub["network"] == network].set_index("strategy")["mean"]
        if {"best3", "conf3"} <= set(mine.index) and {"best3", "conf3"} <= set(their.index):
            rows.append(
                {
                    "network": network,
                    "better of best3 / conf3 (theirs)": their[["best3", "conf3"]].idxmax(),
                    "better (nicsim)": mine[["best3", "conf3"]].idxmax(),
                    "conf3 - best3 (theirs)": f"{their['conf3'] - their['best3']:+.3f}",
                    "conf3 - best3 (nicsim)": f"{mine['conf3'] - mine['best3']:+.3f}",
                }
            )
    return pd.DataFrame(rows)


def _round_average(frame: pd.DataFrame) -> pd.Series:
    """Mean performance averaged over every round 0-199, by strategy and network (best
    member and conformity, sample 3). Their tables hold every round to 10, then every
    fifth: the rounds between are read off the straight line joining their neighbours."""
    frame = frame[(frame["metric"] == "mean_outcome") & frame["strategy"].isin(["best3", "conf3"])]
    rounds = np.arange(BG_FINAL + 1)
    return frame.groupby(["strategy", "network"]).apply(
        lambda g: float(np.interp(rounds, g["step"], g["mean"]).mean()), include_groups=False
    )


def _diameter(traj: pd.DataFrame, theirs: pd.DataFrame) -> list[str]:
    """Their PLOTS.R "diameter" figure as a table: each network's performance averaged over
    all rounds, best member and conformity (sample 3), against the network's diameter, with
    the correlation across the ten networks: their paper's claim that the effect of
    network efficiency reverses with the strategy."""
    rows = []
    averages = {"theirs": _round_average(theirs), "nicsim": _round_average(traj)}
    for network, diameter in BG_DIAMETERS.items():
        row = {"network": network, "diameter (theirs)": diameter}
        for strategy in ("best3", "conf3"):
            for who in ("theirs", "nicsim"):
                value = averages[who].get((strategy, network))
                row[f"{strategy} ({who})"] = None if value is None else f"{value:.3f}"
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.isna().any().any():
        return []
    diameters = pd.Series(BG_DIAMETERS)
    r = {
        (strategy, who): averages[who][strategy].reindex(diameters.index).corr(diameters)
        for strategy in ("best3", "conf3")
        for who in ("theirs", "nicsim")
    }
    return [
        "",
        "## NK (K = 7): performance averaged over rounds 0-199, by network diameter",
        "",
        "Their PLOTS.R plots each network's mean performance over all 200 rounds against its "
        "diameter (their diameters; the lattice's is 6 read one way, 3 both ways). Their "
        "tables hold every round to 10, then every fifth; the rounds between are "
        "interpolated linearly.",
        "",
        markdown_table(table),
        "",
        "Correlation with diameter across the ten networks: best member "
        f"{r[('best3', 'theirs')]:+.2f} theirs, {r[('best3', 'nicsim')]:+.2f} nicsim; "
        f"conformity {r[('conf3', 'theirs')]:+.2f} theirs, {r[('conf3', 'nicsim')]:+.2f} nicsim.",
    ]


def _mason_watts(at: pd.DataFrame, figs: Path) -> list[str]:
    """The Mason & Watts comparison: final performance by network and strategy, and which
    strategy wins where."""
    from .plots import beside_published

    theirs = pd.read_csv(BG_PUBLISHED / "theirs_mw.csv")
    n, final = at["seed"].nunique(), min(BG_FINAL, int(at["step"].max()))
    s = summary_at(at[at["step"] == final], ["strategy", "network"], "mean_outcome")
    pub = theirs[(theirs["metric"] == "mean_outcome") & (theirs["step"] == final)]
    beside_published(
        s,
        pub,
        "network",
        "strategy",
        figs / "mw_networks.png",
        "Network",
        f"Mean performance at round {final}",
        labels=BG_STRATEGIES,
        title=f"Mason & Watts landscape; nicsim: {n} landscapes (bars: 95% CI)",
    )
    table = _theirs_and_ours(s, pub[["strategy", "network", "mean"]], ["strategy", "network"])
    winners = _winners(s, pub)
    return [
        "",
        f"## Mason & Watts: mean performance at round {final} by network ({n} landscapes)",
        "",
        "Each cell: published code / nicsim.",
        "",
        markdown_table(_wide_compare(table, "network")),
        "",
        "With nicsim's 95% CIs:",
        "",
        markdown_table(table),
        "",
        agreement(s, pub, ["strategy", "network"]),
        "",
        "Which strategy wins on which network:",
        "",
        markdown_table(winners),
        "",
        _winner_count(winners),
    ]


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
            parts.append(_bg_tidy(name, runs))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _spread_cell(row) -> str:
    """One quantile of a cell: theirs / nicsim's [interval], and "out" when outside."""
    cell = f"{row.theirs:.3f} / {_estimate(row.estimate, row.ci_low, row.ci_high)}"
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


def _spread(root: Path, done: list[str], figs: Path) -> list[str]:
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


def report(root: Path) -> str:
    """Figures and ``summary.md`` for Barkoczi & Galesic (2016): nicsim's condensed sweeps
    beside the means of their committed results (``validation/barkoczi_galesic_2016``,
    extracted once from their .Rdata files by ``extract.py`` there)."""
    from .plots import beside_published

    data = {}
    for name in BG_SWEEPS:
        with contextlib.suppress(ConfigError, FileNotFoundError):
            traj, at = condense(root / name, BG_STEPS)
            data[name] = (_bg_tidy(name, traj), _bg_tidy(name, at))
    missing = [name for name in BG_SWEEPS if name not in data]
    theirs_nk = pd.read_csv(BG_PUBLISHED / "theirs_nk.csv")
    theirs_k = pd.read_csv(BG_PUBLISHED / "theirs_nk_k.csv")
    figs = root / "figures"
    out = report_head(
        "Barkoczi & Galesic (2016): docking results",
        "Generated by `nicsim replicate barkoczi_galesic_2016` from the sweeps in "
        "`configs/replications/barkoczi_galesic_2016/`, beside the means of their committed "
        "results (github.com/dnlbrkc/social_learning, `results/`; 1000 landscapes per "
        "network). nicsim cells are means over landscapes with 95% confidence intervals. "
        "Performance = (score / max score) ** 8, averaged over the 100 agents; round 199 is "
        "their last (row 200).",
        root,
        list(data),
        missing,
    )
    labels = BG_STRATEGIES

    nk = [data[n][1] for n in ("nk_social", "nk_random", "nk_individual") if n in data]
    if nk:
        at = pd.concat(nk, ignore_index=True)
        n, final = at["seed"].nunique(), min(BG_FINAL, int(at["step"].max()))
        for metric, what, fig in (
            ("mean_outcome", "Mean performance", "nk_networks.png"),
            ("unique_practices", "Unique positions", "nk_networks_unique.png"),
        ):
            s = summary_at(at[at["step"] == final], ["strategy", "network"], metric)
            pub = theirs_nk[(theirs_nk["metric"] == metric) & (theirs_nk["step"] == final)]
            beside_published(
                s,
                pub,
                "network",
                "strategy",
                figs / fig,
                "Network",
                f"{what} at round {final}",
                labels=labels,
                title=f"NK, N = 15, K = 7; nicsim: {n} landscapes (bars: 95% CI)",
            )
            table = _theirs_and_ours(
                s, pub[["strategy", "network", "mean"]], ["strategy", "network"]
            )
            out += [
                "",
                f"## NK (N = 15, K = 7): {what.lower()} at round {final} by network "
                f"({n} landscapes)",
                "",
                "Each cell: published code / nicsim.",
                "",
                markdown_table(_wide_compare(table, "network")),
                "",
                agreement(s, pub, ["strategy", "network"]),
            ]
            if metric == "mean_outcome":
                out += ["", "With nicsim's 95% CIs:", "", markdown_table(table)]
        ends = summary_at(at[at["step"] == final], ["strategy", "network"], "mean_outcome")
        pub = theirs_nk[(theirs_nk["metric"] == "mean_outcome") & (theirs_nk["step"] == final)]
        winners = _winners(ends, pub)
        if not winners.empty:
            out += ["", "Which strategy wins on which network (sample 3):", ""]
            out += [markdown_table(winners), "", _winner_count(winners)]
        traj = pd.concat(
            [data[n][0] for n in ("nk_social", "nk_random", "nk_individual") if n in data]
        )
        pub_traj = theirs_nk[theirs_nk["k"] == 7] if "k" in theirs_nk else theirs_nk
        out += _diameter(traj, pub_traj)
        for network in ("fully-connected", "max-mean-clustering"):
            mine = traj[(traj["network"] == network) & (traj["metric"] == "mean_outcome")]
            if mine.empty:
                continue
            mine = mine.rename(columns={"lo": "ci_low", "hi": "ci_high"})
            pub = theirs_nk[
                (theirs_nk["metric"] == "mean_outcome") & (theirs_nk["network"] == network)
            ]
            beside_published(
                mine,
                pub,
                "step",
                "strategy",
                figs / f"nk_trajectories_{network}.png",
                "Round",
                "Mean performance",
                labels=labels,
                title=f"NK, K = 7, {network}; nicsim: {n} landscapes (bands: 95% CI)",
            )
            s = summary_at(
                at[(at["network"] == network) & at["step"].isin(BG_TRAJECTORY_STEPS)],
                ["strategy", "step"],
                "mean_outcome",
            ).drop_duplicates(["strategy", "step"])
            table = _theirs_and_ours(s, pub[["strategy", "step", "mean"]], ["strategy", "step"])
            out += [
                "",
                f"## NK (K = 7), {network}: mean performance by round",
                "",
                "Each cell: published code / nicsim.",
                "",
                markdown_table(_wide_compare(table, "step")),
            ]

    ks = [data[n][1] for n in ("k_social", "k_random", "k_individual") if n in data]
    if ks:
        at = pd.concat(ks, ignore_index=True)
        n, final = at["seed"].nunique(), min(BG_FINAL, int(at["step"].max()))
        s = summary_at(at[at["step"] == final], ["strategy", "k"], "mean_outcome")
        pub = theirs_k[(theirs_k["metric"] == "mean_outcome") & (theirs_k["step"] == final)]
        beside_published(
            s,
            pub,
            "k",
            "strategy",
            figs / "k_sweep.png",
            "K",
            f"Mean performance at round {final}",
            labels=labels,
            title=f"NK, N = 15, fully connected; nicsim: {n} landscapes (bars: 95% CI)",
        )
        table = _theirs_and_ours(s, pub[["strategy", "k", "mean"]], ["strategy", "k"])
        out += [
            "",
            f"## NK by K (fully connected): mean performance at round {final} ({n} landscapes)",
            "",
            "Each cell: published code / nicsim.",
            "",
            markdown_table(_wide_compare(table, "k")),
            "",
            agreement(s, pub, ["strategy", "k"]),
        ]
    if "mw_social" in data:
        out += _mason_watts(data["mw_social"][1], figs)
    out += _spread(root, list(data), figs)
    text = "\n".join(out) + "\n"
    write_text(root / "summary.md", text)
    return text
