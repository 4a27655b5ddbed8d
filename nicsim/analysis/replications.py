"""Replications of the published models nicsim generalises (docs/VALIDATION.md).

``nicsim replicate march_1991`` runs the March sweeps the same way into
``results/replications/march_1991/<sweep>/`` and draws its figures and ``summary.md`` from
their ``runs.csv`` (see :func:`march_report`).

``nicsim replicate lazer_friedman_2007`` runs each sweep file of
``configs/replications/lazer_friedman_2007/`` through the ordinary sweep machinery (the
crash-proof store, local workers or Dask, common random numbers) into
``results/replications/lazer_friedman_2007/<sweep>/``, then condenses each sweep's time
series into two small tables, ``trajectories.csv`` (mean and 95% band per group and round)
and ``at_steps.csv`` (every run at the rounds the paper reports). The figures and
``summary.md`` are drawn from those tables alone, so they can be committed and redrawn
without the bulk ``timeseries.parquet`` (which re-running the same command recreates bit
for bit).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..core.params import ConfigError
from ..lab.atomic import write_text
from .compare import at_steps, head_to_head, summary_at, trajectories
from .markdown import estimate, markdown_table

METRICS = ["mean_outcome", "unique_practices", "ideas_adopted"]
COMPACT = ("trajectories.csv", "at_steps.csv")


# -- condensing a sweep -----------------------------------------------------------------------
def condense(directory: Path, steps: tuple[int, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A sweep's trajectories and per-run values at ``steps``, written next to its outputs.

    Built from ``timeseries.parquet`` when it is there; otherwise the committed compact
    tables are read back, so the report can be redrawn from a fresh clone.
    """
    ts_path = directory / "timeseries.parquet"
    if ts_path.exists():
        plan = json.loads((directory / "plan.json").read_text())
        swept = list(plan["swept"])
        ts = pd.read_parquet(ts_path, columns=["run_id", "seed", *swept, "step", *METRICS])
        if "graph_file" in swept:  # a network is named by its file, not by the clone's path
            ts["graph_file"] = ts["graph_file"].map(lambda v: Path(v).stem)
        traj = trajectories(ts, swept, METRICS)
        within = [s for s in steps if s <= ts["step"].max()]  # rounds this sweep ran to
        at = at_steps(ts, within, ["run_id", "seed", *swept], METRICS)
        traj.to_csv(directory / COMPACT[0], index=False)
        at.to_csv(directory / COMPACT[1], index=False)
        return traj, at
    if all((directory / name).exists() for name in COMPACT):
        return tuple(pd.read_csv(directory / name) for name in COMPACT)  # type: ignore[return-value]
    raise ConfigError(
        f"{directory}: no timeseries.parquet or {' and '.join(COMPACT)}: run the study first"
    )


def wall_time(directory: Path) -> str:
    """Minutes from the manifest's start to finish, and whether the run was complete."""
    try:
        m = json.loads((directory / "manifest.json").read_text())
        start, end = (datetime.fromisoformat(m[k]) for k in ("started", "finished"))
    except (OSError, ValueError, KeyError, TypeError):
        return "n/a"
    command = m.get("command", [])
    # the default number of workers (the machine's cores) is not in the command line
    workers = (
        f", {command[command.index('--workers') + 1]} workers" if "--workers" in command else ""
    )
    return f"{(end - start).total_seconds() / 60:.1f} min, {m.get('runs_done')} runs{workers}"


# -- Lazer & Friedman (2007) ------------------------------------------------------------------
LF_SWEEPS = (
    "fig4_5",
    "fig6_random",
    "fig6_random_connected",
    "fig7_small_world",
    "fig10_velocity",
    "fig11_copy_error",
)
LF_STEPS = (0, 1, 5, 10, 25, 55, 100, 200, 300)
LF_TABLE_STEPS = [5, 10, 25, 55, 100]
DESIGN_LABELS = {"line": "linear", "full": "totally connected"}


def _wide(summary: pd.DataFrame, rows: list[str], label) -> pd.DataFrame:
    """Summary rows (per group and step) as one row per group and a column per round."""
    summary = summary.assign(
        cell=[estimate(*v) for v in summary[["mean", "ci_low", "ci_high"]].values]
    )
    wide = summary.pivot_table(
        index=rows, columns="step", values="cell", aggfunc="first", sort=False
    )
    wide.columns = [f"round {c}" for c in wide.columns]
    wide = wide.reset_index()
    for col in rows:
        wide[col] = [label(col, v) for v in wide[col]]
    return wide


def _name(col: str, value) -> str:
    if col == "design":
        return DESIGN_LABELS.get(value, value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _contest_rows(at: pd.DataFrame, pairs: list[tuple[str, dict, dict]], steps: list[int]):
    """Head-to-head rows: for each (label, A filter, B filter), A's wins, losses and ties."""
    rows = []
    for label, fa, fb in pairs:
        a = at[(at[list(fa)] == pd.Series(fa)).all(axis=1) & at["step"].isin(steps)]
        b = at[(at[list(fb)] == pd.Series(fb)).all(axis=1) & at["step"].isin(steps)]
        for r in head_to_head(a, b):
            rows.append({"contest": label, **asdict(r)})
    table = pd.DataFrame(rows)
    return table.rename(
        columns={
            "share_a_higher": "share A higher",
            "mean_diff": "mean A - B",
            "a_higher": "A higher",
            "b_higher": "B higher",
            "step": "round",
        }
    )


def crossover(traj: pd.DataFrame, a: str, b: str, metric: str = "mean_outcome") -> int | None:
    """First round after 0 at which design ``a``'s mean ``metric`` is above design ``b``'s."""
    rows = traj[traj["metric"] == metric].pivot_table(index="step", columns="design", values="mean")
    ahead = rows.index[(rows[a] > rows[b]) & (rows.index > 0)]
    return int(ahead[0]) if len(ahead) else None


def report_head(
    title: str, intro: str, root: Path, done: list[str], missing: list[str]
) -> list[str]:
    """The opening lines every replication's ``summary.md`` shares: its title, what it is,
    the sweeps not run yet, and each finished sweep's wall time."""
    out = [f"# {title}", "", intro]
    if missing:
        out += ["", f"Not run (or not finished) yet: {', '.join(missing)}."]
    wall = [f"| `{n}` | {wall_time(root / n)} |" for n in done]
    return [*out, "", "| sweep | wall time |", "|---|---|", *wall]


def lazer_friedman_report(root: Path) -> str:
    """Figures and ``summary.md`` for Lazer & Friedman (2007) from the condensed sweeps."""
    from .plots import against_parameter, trajectory_panels

    data = {}
    for name in LF_SWEEPS:
        # a sweep not run, or not finished yet, is listed as missing below
        with contextlib.suppress(ConfigError, FileNotFoundError):
            data[name] = condense(root / name, LF_STEPS)
    missing = [name for name in LF_SWEEPS if name not in data]
    figs = root / "figures"
    out = report_head(
        "Lazer & Friedman (2007): replication results",
        "Generated by `nicsim replicate lazer_friedman_2007` from the sweeps in "
        "`configs/replications/lazer_friedman_2007/`. Cells are means over landscapes with "
        "95% confidence intervals. Performance = (score / max score) ** 8, averaged over the "
        "100 agents. Head-to-head: on how many landscapes (same seed: same landscape, same "
        "starting strings) setting A's mean performance is above B's at that round; ties are "
        "landscapes where both are equal (typically the same optimum).",
        root,
        list(data),
        missing,
    )

    if "fig4_5" in data:
        traj, at = data["fig4_5"]
        n = at["seed"].nunique()
        for metric, fig, ylabel in (
            ("mean_outcome", "fig4_performance.png", "Mean performance"),
            ("unique_practices", "fig5_unique_solutions.png", "Unique solutions"),
        ):
            trajectory_panels(
                traj,
                metric,
                "design",
                figs / fig,
                ylabel,
                labels=DESIGN_LABELS,
                title=f"{n} landscapes; band: 95% CI of the mean",
            )
        out += ["", f"## Figures 4 and 5: linear vs totally connected ({n} landscapes)", ""]
        for metric, what in (
            ("mean_outcome", "Mean performance"),
            ("unique_practices", "Unique solutions"),
        ):
            s = summary_at(at[at["step"].isin([0, 1, *LF_TABLE_STEPS])], ["design"], metric)
            out += [f"{what}:", "", markdown_table(_wide(s, ["design"], _name)), ""]
        pairs = [("A linear, B totally connected", {"design": "line"}, {"design": "full"})]
        out += ["Head-to-head:", "", markdown_table(_contest_rows(at, pairs, LF_TABLE_STEPS))]
        out += [
            "",
            f"Linear's mean performance first exceeds totally connected's at round "
            f"{crossover(traj, 'line', 'full')}.",
        ]

    density = [
        data[n][1].assign(networks=kind)
        for n, kind in (
            ("fig6_random", "all networks"),
            ("fig6_random_connected", "single component"),
        )
        if n in data
    ]
    if density:
        at = pd.concat(density, ignore_index=True)
        at = at[at["step"].isin([55, 100])]
        s = summary_at(at, ["networks", "density"], "mean_outcome")
        s["series"] = [f"{k}, round {t}" for k, t in zip(s["networks"], s["step"], strict=True)]
        against_parameter(
            s,
            "density",
            "series",
            figs / "fig6_density.png",
            "Density (log scale)",
            "Mean performance",
            labels={v: v for v in s["series"]},
            title=f"Random networks, {at['seed'].nunique()} landscapes; bars: 95% CI",
            logx=True,
        )
        moves = summary_at(at[at["step"] == 100], ["networks", "density"], "ideas_adopted")
        out += [
            "",
            "## Figure 6: random networks by density",
            "",
            "Mean performance at rounds 55 and 100:",
            "",
            markdown_table(_wide(s.drop(columns="series"), ["networks", "density"], _name)),
            "",
            "Moves per round at round 100 (all 100 agents; 0 = converged):",
            "",
            markdown_table(_wide(moves, ["networks", "density"], _name)),
        ]

    if "fig7_small_world" in data:
        _, at = data["fig7_small_world"]
        at = at[at["step"].isin([10, 25, 55, 100])]
        s = summary_at(at, ["rewirings"], "mean_outcome")
        against_parameter(
            s,
            "rewirings",
            "step",
            figs / "fig7_rewirings.png",
            "Links rewired",
            "Mean performance",
            labels={t: f"round {t}" for t in s["step"].unique()},
            title=f"Small world, {at['seed'].nunique()} landscapes; bars: 95% CI",
        )
        pairs = [("A 0 rewired, B 50 rewired", {"rewirings": 0}, {"rewirings": 50})]
        out += [
            "",
            "## Figure 7: small world by links rewired",
            "",
            markdown_table(_wide(s, ["rewirings"], _name)),
            "",
            "Head-to-head:",
            "",
            markdown_table(_contest_rows(at, pairs, [10, 25, 55, 100])),
        ]

    for name, param, title, values in (
        ("fig10_velocity", "velocity", "## Figure 10: velocity", (1.0, 0.1)),
        ("fig11_copy_error", "copy_error", "## Figure 11: copy error", (0.0, 0.2)),
    ):
        if name not in data:
            continue
        traj, at = data[name]
        labels = {**DESIGN_LABELS, **{v: f"{param} = {v:g}" for v in traj[param].unique()}}
        trajectory_panels(
            traj,
            "mean_outcome",
            param,
            figs / f"{name}.png",
            "Mean performance",
            panel_by="design",
            labels=labels,
            title=f"{at['seed'].nunique()} landscapes; bands: 95% CI of the mean",
        )
        rounds = sorted({*LF_TABLE_STEPS, int(at["step"].max())})
        s = summary_at(at[at["step"].isin(rounds)], ["design", param], "mean_outcome")
        hi, lo = values
        pairs = [
            (
                f"{DESIGN_LABELS[d]}: A {param} {lo:g}, B {param} {hi:g}",
                {"design": d, param: lo},
                {"design": d, param: hi},
            )
            for d in ("line", "full")
        ] + [
            (
                f"{param} {v:g}: A linear, B totally connected",
                {"design": "line", param: v},
                {"design": "full", param: v},
            )
            for v in sorted(traj[param].unique())
        ]
        out += [
            "",
            title,
            "",
            markdown_table(_wide(s, ["design", param], _name)),
            "",
            "Head-to-head:",
            "",
            markdown_table(_contest_rows(at, pairs, rounds)),
        ]
    text = "\n".join(out) + "\n"
    write_text(root / "summary.md", text)
    return text


# -- March (1991) ------------------------------------------------------------------------------
MARCH_SWEEPS = (
    "figure1",
    "figure1_jump",
    "figure1_knowledge",
    "figure1_step",
    "figure1_half",
    "figure1_sequential",
    "figure3",
    "turnover",
    "turbulence",
)


def march_report(root: Path) -> str:
    """Figures and ``summary.md`` for March (1991), drawn from the sweeps' ``runs.csv`` (and
    the turbulence sweep's time series, small enough to commit), so a fresh clone redraws
    them without running anything."""
    from .march_plots import draw_all

    missing = [n for n in MARCH_SWEEPS if not (root / n / "runs.csv").is_file()]
    done = [n for n in MARCH_SWEEPS if n not in missing]
    out = report_head(
        "March (1991): replication results",
        "Generated by `nicsim replicate march_1991` from the sweeps in "
        "`configs/replications/march_1991/`. Cells are means over runs (seeds 1..R, the same "
        "in every cell) with 95% confidence intervals. Knowledge is the code's (right - wrong) "
        "/ m, the scale Figure 1's published levels are printed on; `code_knowledge` is the "
        "share of dimensions right. The published levels are those of Workiewicz's "
        "recreation of the original program (docs/VALIDATION.md, section 2).",
        root,
        done,
        missing,
    )
    out += ["", draw_all(root)]
    text = "\n".join(out) + "\n"
    write_text(root / "summary.md", text)
    return text


# -- Barkoczi & Galesic (2016) ----------------------------------------------------------------
