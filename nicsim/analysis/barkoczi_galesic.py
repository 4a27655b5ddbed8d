"""Barkoczi & Galesic (2016) docking: nicsim's condensed sweeps beside the means of their
committed results, as figures and ``summary.md`` (docs/VALIDATION.md, section 4), with the
spread over landscapes from :mod:`.barkoczi_galesic_spread`."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.params import ConfigError
from ..lab.atomic import write_text
from .barkoczi_galesic_spread import spread_report
from .barkoczi_galesic_tables import (
    BG_FINAL,
    BG_PUBLISHED,
    BG_STEPS,
    BG_STRATEGIES,
    BG_SWEEPS,
    bg_tidy,
)
from .compare import summary_at
from .markdown import estimate, markdown_table
from .replications import condense, report_head

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


def _theirs_and_ours(ours: pd.DataFrame, theirs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of ``by``: their mean, nicsim's mean [95% CI] and the difference."""
    merged = ours.merge(theirs, on=by, suffixes=("", "_theirs"))
    return pd.DataFrame(
        {
            **{col: merged[col] for col in by},
            "published code": merged["mean_theirs"].map(lambda v: f"{v:.3f}"),
            "nicsim": [
                estimate(*v) for v in merged[["mean", "ci_low", "ci_high"]].to_numpy().tolist()
            ],
            "nicsim - theirs": (merged["mean"] - merged["mean_theirs"]).map(lambda v: f"{v:+.3f}"),
        }
    )


def agreement(ours: pd.DataFrame, theirs: pd.DataFrame, by: list[str]) -> str:
    """One sentence counting the cells of ``by`` where their mean lies inside nicsim's 95%
    CI, and, where their table gives ``sd`` and ``n``, where the two means are within
    sampling error of each other, and how nicsim's means sit against theirs: the numbers
    the docs quote, computed here so that a rerun at another scale states them itself.

    Inside nicsim's CI ignores their own sampling error, which is negligible beside
    nicsim's at 60 landscapes against their 1000, but as large as nicsim's at 1000: then
    even two identical models put a fifth of their means outside (P(|Z| > 1.96 / sqrt 2)),
    and the difference has to be judged against both errors (:func:`_within_error`)."""
    columns = [*by, "mean", *(c for c in ("sd", "n") if c in theirs)]
    merged = ours.merge(theirs[columns], on=by, suffixes=("", "_theirs"))
    if merged.empty:
        return "No cell to compare."
    inside = merged["mean_theirs"].between(merged["ci_low"], merged["ci_high"])
    gap = merged["mean"] - merged["mean_theirs"]
    both = ""
    if {"sd", "n_theirs"} <= set(merged):
        within = int(_within_error(merged).sum())
        both = (
            f"; the two means within sampling error of each other (95%, nicsim's and theirs, "
            f"sd / sqrt(n)) in {within} of {len(merged)}"
        )
    return (
        f"Their mean inside nicsim's 95% CI in {int(inside.sum())} of {len(merged)} cells{both}; "
        f"nicsim below theirs in {int((gap < 0).sum())}, by {gap.mean():+.3f} on average "
        f"(largest gaps {gap.min():+.3f} and {gap.max():+.3f})."
    )


def _within_error(merged: pd.DataFrame) -> pd.Series:
    """Whether nicsim's mean minus theirs lies within 1.96 standard errors of the
    difference: nicsim's (its CI's half-width over the t quantile it was made with) and
    theirs (their ``sd`` over the square root of their ``n``) combined."""
    from scipy.special import ndtri, stdtrit

    se_ours = (merged["ci_high"] - merged["ci_low"]) / (2 * stdtrit(merged["n"] - 1, 0.975))
    se_theirs = merged["sd"] / np.sqrt(merged["n_theirs"])
    return (merged["mean"] - merged["mean_theirs"]).abs() <= ndtri(0.975) * np.hypot(
        se_ours, se_theirs
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


def report(root: Path) -> str:
    """Figures and ``summary.md`` for Barkoczi & Galesic (2016): nicsim's condensed sweeps
    beside the means of their committed results (``validation/barkoczi_galesic_2016``,
    extracted once from their .Rdata files by ``extract.py`` there)."""
    from .plots import beside_published

    data = {}
    for name in BG_SWEEPS:
        with contextlib.suppress(ConfigError, FileNotFoundError):
            traj, at = condense(root / name, BG_STEPS)
            data[name] = (bg_tidy(name, traj), bg_tidy(name, at))
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
    out += spread_report(root, list(data), figs)
    text = "\n".join(out) + "\n"
    write_text(root / "summary.md", text)
    return text
