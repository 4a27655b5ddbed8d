"""The comparison report of a results directory: group means, paired differences, figures.

``nicsim compare DIR --by PARAM`` reads what a run or sweep stored (never a live model),
summarises each group of ``PARAM`` and compares it with a reference group run by run, as
the common random numbers of docs/ODD.md section 4 allow. The Markdown is written for a
policy reader as much as for a researcher, so it ends with a short guide to reading it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..core.params import DEFAULT_MODEL, ConfigError, ModelParams
from ..lab import sensitivity
from ..lab.atomic import write_text
from ..lab.plans import DUMMY, Plan
from ..lab.registry import REGISTRY, ModelSpec, for_params
from ..lab.sensitivity import Design
from .compare import ANY, group_order, group_summary, paired_differences, same_group, summary_table
from .markdown import decimals_for, estimate_at_width, markdown_table, number, p_value, table_row

HOW_TO_READ = (
    "Each cell of the first table is the mean over the runs of a group with its 95% "
    "confidence interval (CI): intervals made this way contain the true mean in 95 of 100 "
    "repetitions of the experiment (an interval is cut to the values its metric can take, "
    "a share's 0 to 1, a count's 0 up). The second table compares each group with the reference "
    "run by run: the two runs of a pair share their seed (so the same problem and the same "
    "starting practices) and every other swept parameter, so what differs between them is "
    "`{by}` and the chance events during the runs. A difference whose CI excludes 0 "
    "(equivalently p < 0.05) is unlikely to arise by chance alone at the 5% level; one whose "
    "CI includes 0 is compatible with no difference at all. The effect size dz is the mean "
    "difference divided by the standard deviation of the differences: about 0.2 is small, "
    "0.5 medium and 0.8 large. With many metrics and groups, expect about one comparison in "
    "twenty to pass the 5% level by chance alone."
)


class NotSaved(ConfigError):
    """The comparison was made but cannot be saved in the results directory (read-only, full):
    ``text`` holds it, so the command line can still print it."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text


def write_comparison(
    directory: str | Path,
    by: str | None,
    reference: str | None,
    metrics: list[str] | None = None,
) -> str:
    """Compare the groups of ``by`` in a results directory; write comparison.md and figures.

    Returns the Markdown (also written to ``DIR/comparison.md``). ``by`` defaults to the
    first swept parameter and ``reference`` (as typed on the command line) to the first
    group; ``metrics`` default to the report metrics of the model that made the runs (the
    ``model`` column of runs.csv; none means the NIC model). A missing directory, an
    unknown column or value is a ConfigError naming what is allowed, so the command line can
    report it in one line. A directory that cannot be written (read-only results, a full
    disk) raises :class:`NotSaved` with the Markdown (without figures) in it: the comparison
    needs only to read, so the answer is not lost for want of a place to keep it.
    """
    root = Path(directory)
    runs, swept = _read_runs(root)
    spec = _model_of(runs)
    metrics = list(spec.report_metrics) if metrics is None else metrics
    missing = [m for m in metrics if m not in runs.columns]
    if missing:
        raise ConfigError(
            f"{root / 'runs.csv'} has no column {', '.join(missing)}: expected the runs.csv of "
            f"a nicsim run or sweep of model {spec.name!r}"
        )
    by = _choose_by(root, runs, by, swept)
    if not pd.api.types.is_numeric_dtype(runs[by]) or runs[by].isna().all():
        runs[by] = runs[by].fillna("")  # empty CSV cells of a text parameter, e.g. graph_file
    order = group_order(runs, by)
    ref = order[0] if reference is None else _match_reference(order, reference, by)
    pair_on = [c for c in ("seed", *swept) if c != by]
    summary = group_summary(runs, by, metrics, order, spec.ranges)
    try:
        paired = paired_differences(runs, by, ref, pair_on, metrics, order)
    except ValueError as exc:
        raise ConfigError(f"{root}: {exc}") from None

    def markdown(figures: Sequence[Path]) -> str:
        return comparison_markdown(
            summary,
            paired,
            experiment=_experiment_name(root),
            by=by,
            reference=ref,
            order=order,
            n_runs=len(runs),
            pair_on=pair_on,
            figures=figures,
        )

    try:
        text = markdown(_draw_figures(root, runs, by, order, spec))
        write_text(root / "comparison.md", text)
    except OSError as exc:
        reason = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
        raise NotSaved(
            f"{root}: comparison.md and figures cannot be saved there ({reason}); the "
            "comparison is printed above only",
            markdown(()),
        ) from None
    return text


def _read_runs(root: Path) -> tuple[pd.DataFrame, list[str]]:
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is a file, not a results folder")
    if not root.is_dir():
        raise ConfigError(f"results directory {root} does not exist")
    path = root / "runs.csv"
    if not path.is_file():
        raise ConfigError(
            f"{root} has no runs.csv: it is written when a `nicsim run` or `nicsim sweep` "
            "finishes (run the same command again to finish an interrupted one)"
        )
    try:
        runs = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if runs.empty:
        raise ConfigError(f"{path} has no runs to compare")
    try:
        manifest = json.loads((root / "manifest.json").read_text())
        expected = manifest["runs_done"] if manifest["complete"] else None
    except (OSError, ValueError, KeyError, TypeError):
        expected = None  # no manifest (a table from elsewhere): nothing to check it against
    if expected is not None and len(runs) != expected:
        raise ConfigError(
            f"{path} has {len(runs)} rows but its manifest says {expected} runs were done: it "
            "is damaged (run the same command again to write it anew from the saved runs)"
        )
    try:
        swept = list(json.loads((root / "plan.json").read_text())["swept"])
    except (OSError, ValueError, KeyError, TypeError):
        swept = []  # no plan: pair on the seed alone
    return runs, [s for s in swept if s in runs.columns]


def _experiment_name(root: Path) -> str:
    """The experiment's name as its plan gives it (else the folder's), never the path: the
    same results compared from any folder give the same comparison.md."""
    try:
        return str(json.loads((root / "plan.json").read_text())["name"])
    except (OSError, ValueError, KeyError, TypeError):
        return root.resolve().name


def _model_of(runs: pd.DataFrame) -> ModelSpec:
    name = runs["model"].iloc[0] if "model" in runs.columns else DEFAULT_MODEL
    return REGISTRY.get(name, REGISTRY[DEFAULT_MODEL])


def _choose_by(root: Path, runs: pd.DataFrame, by: str | None, swept: list[str]) -> str:
    """The column to group by: ``by``, or the first swept parameter. A column that was not
    swept and has one value in every run is refused: one group compares with nothing (and
    comparison.md, which may hold a real comparison, is not to be replaced by it)."""
    if swept:
        hint = f"the swept parameters are {', '.join(swept)}"
    else:
        hint = "nothing was swept in this directory, so every run has the same parameters"
    if by is not None and by in runs.columns:
        values = runs[by].drop_duplicates()
        if len(values) == 1 and by not in swept:
            value = values.iloc[0]
            shown = "empty" if pd.isna(value) else _label(value)
            raise ConfigError(f"{by} has one value ({shown}) in {root}: {hint}")
        return by
    if by is None:
        if swept:
            return swept[0]
        raise ConfigError(f"{root}: {hint}; name a column to compare with --by")
    raise ConfigError(f"--by {by} is not a column of {root / 'runs.csv'}: {hint}")


def _label(value) -> str:
    """A group value as the user would type it (booleans as in TOML)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if value != "" else '""'


def _match_reference(order: list, text: str, by: str):
    """The group whose value is ``text`` as written, or numerically equal to it."""
    for value in order:
        if text in (_label(value), str(value)):
            return value
    try:
        numeric = float(text)
    except ValueError:
        numeric = None
    if numeric is not None:
        for value in order:
            if isinstance(value, int | float) and not isinstance(value, bool) and value == numeric:
                return value
    allowed = ", ".join(_label(v) for v in order)
    raise ConfigError(f"--reference {text} is not a value of {by}: expected one of {allowed}")


def _draw_figures(
    root: Path, runs: pd.DataFrame, by: str, order: list, spec: ModelSpec
) -> list[Path]:
    from .plots import final_distribution, group_trajectories

    out = root / "figures"
    paths = []
    ts_path = root / "timeseries.parquet"
    if ts_path.is_file():
        try:
            names = set(pq.read_schema(ts_path).names)
            panels = [panel for panel in spec.panels if panel[0] in names]  # figures of what it has
            columns = ["run_id", "step", *(metric for metric, _, _ in panels)]
            ts = pd.read_parquet(ts_path, columns=columns)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read {ts_path}: {exc}") from None
        # by may be a parameter that was not swept, so it comes from runs.csv, not the series
        ts = ts.merge(runs[["run_id", by]], on="run_id")
        for metric, label, slug in panels:
            path = out / f"compare_{by}_{slug}.png"
            within = spec.ranges.get(metric, ANY)
            paths.append(
                group_trajectories(ts, by, metric, path, label, order, spec.time_unit, within)
            )
    headline = spec.panels[0][0]
    paths.append(final_distribution(runs, by, headline, out / f"compare_{by}_final.png", order))
    return paths


def _and(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return " and ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else quoted[0]


def comparison_markdown(
    summary: pd.DataFrame,
    paired: pd.DataFrame,
    *,
    experiment: str,
    by: str,
    reference,
    order: list,
    n_runs: int,
    pair_on: list[str],
    figures: Sequence[Path] = (),
) -> str:
    """Render group summaries and paired differences (from nicsim.analysis.compare) as Markdown.

    Kept apart from the computation so the same tables can be rendered elsewhere (the app,
    a notebook) and so this function can be tested on hand-made tables.
    """
    ref = _label(reference)
    key = _and(pair_on) if pair_on else "nothing (no pairing key)"
    lines = [
        f"# Comparison by `{by}`",
        "",
        f"Compared {n_runs} runs of `{experiment}` by `{by}` ({len(order)} groups), reference "
        f"`{by} = {ref}`; runs are paired when they share {key} (common random numbers: the "
        "same landscape and starting practices).",
        "",
        "## Final values by group",
        "",
        f"One column per value of `{by}`: mean [95% CI] over its runs; `steps_to_target` "
        "over the runs that reached the target.",
        "",
    ]
    sizes = {_label(g): n for g, n in zip(summary["group"], summary["runs"], strict=True)}
    header = ["metric"] + [
        f"{_label(v)} ({'reference, ' if same_group(v, reference) else ''}"
        f"n = {sizes.get(_label(v), 0)})"
        for v in order
    ]
    lines += [table_row(header), table_row(["---"] * len(header))]
    for metric, rows in summary.groupby("metric", sort=False):
        cells = [metric]
        for row in rows.itertuples():
            cell = estimate_at_width(row.mean, row.ci_low, row.ci_high)
            if metric == "steps_to_target":
                cell = (
                    f"{cell} (reached {row.n}/{row.runs})"
                    if row.n
                    else f"not reached (0/{row.runs})"
                )
            cells.append(cell)
        lines.append(table_row(cells))

    lines += ["", f"## Paired differences from `{by} = {ref}`", ""]
    if paired.empty:
        lines.append(f"Only one group of `{by}`: there is nothing to compare it with.")
    else:
        lines += [
            f"Difference = group - reference over pairs of runs sharing {key}; `pairs` counts "
            "the pairs where both runs have a value (for `steps_to_target`, both reached the "
            "target).",
            "",
            table_row([by, "metric", "pairs", "difference [95% CI]", "t", "p", "dz"]),
            table_row(["---", "---", "---:", "---", "---:", "---:", "---:"]),
        ]
        for value, rows in paired.groupby("group", sort=False, dropna=False):
            if (rows["pairs"] == 0).all():
                lines.append(
                    table_row(
                        [
                            _label(value),
                            "all",
                            "0",
                            f"no pairs: no run shares {key} with a reference run",
                            "",
                            "",
                            "",
                        ]
                    )
                )
                continue
            for row in rows.itertuples():
                diff = (
                    "n/a"
                    if row.n == 0
                    else estimate_at_width(row.mean_diff, row.ci_low, row.ci_high)
                )
                lines.append(
                    table_row(
                        [
                            _label(value),
                            row.metric,
                            str(row.n),
                            diff,
                            number(row.t),
                            p_value(row.p),
                            number(row.cohens_dz),
                        ]
                    )
                )
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{Path(f).stem}](figures/{Path(f).name})" for f in figures]
    lines += ["", "## How to read", "", HOW_TO_READ.format(by=by), ""]
    return "\n".join(lines)


# -- run, sweep and sensitivity summaries ---------------------------------------------------
# outcome units (nicsim.nic.landscape.OUTCOME_UNITS) as an axis label's suffix
UNIT_NAMES = {"percent": "% of the way to the best", "power": "1 = best"}


def plural(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless ``n`` is 1: "1 run", "4 runs"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def panel_labels(base: ModelParams) -> list[tuple[str, str]]:
    """The outcome figure's panels of ``base``'s model, (metric, axis label): a metric in
    outcome units names them (percent or power units read very differently)."""
    spec = for_params(base)
    units = getattr(base, "outcome_units", None)
    return [
        (m, f"{label} ({UNIT_NAMES[units]})" if m in spec.in_outcome_units else label)
        for m, label, _ in spec.panels
    ]


def summary_text(out: Path, plan: Plan, metrics: list[str] | None = None) -> str:
    """Draw the outcome figure of a run or sweep and return its summary table as text.

    The headline metric, the figure's panels and ``metrics`` (by default) come from the
    plan's registered model.
    """
    from .plots import group_trajectories, outcome_figure

    spec = for_params(plan.base)
    metrics = list(spec.report_metrics) if metrics is None else metrics
    panels = panel_labels(plan.base)
    headline, label = panels[0]
    runs = pd.read_csv(out / "runs.csv")
    cols = ["run_id", "step", *(metric for metric, _ in panels), *plan.swept]
    ts = pd.read_parquet(out / "timeseries.parquet", columns=cols)
    if plan.swept:
        by = plan.swept[0]
        path = out / "figures" / "outcome.png"
        # in the order compare gives the groups (the grid's), so a group has one colour
        order, within = group_order(runs, by), spec.ranges.get(headline, ANY)
        group_trajectories(ts, by, headline, path, label, order, spec.time_unit, within)
        groups = runs.groupby(list(plan.swept), sort=True)
        table = groups[headline].agg(["mean", "std", "count"])
        return (
            f"{plural(len(runs), 'run')} in {out} ({plural(groups.ngroups, 'parameter set')}"
            f" x {plural(plan.replications, 'replication')}). Final {label.lower()} by "
            f"{', '.join(plan.swept)}:\n" + table.to_string(float_format=lambda v: f"{v:.3f}")
        )
    figure = out / "figures" / "outcome.png"
    outcome_figure(ts, figure, plan.name, tuple(panels), spec.time_unit, spec.ranges)
    table = summary_table(runs, metrics, spec.ranges)
    lines = [f"{plural(len(runs), 'run')} of {plan.name} in {out}. Final values, mean [95% CI]:"]
    for row in table.itertuples():
        counted = row.metric in ("steps_to_target", "periods_to_equilibrium")
        reached = f"  (reached in {row.n} runs)" if counted else ""
        lines.append(
            f"  {row.metric:<24} {row.mean:8.3f}  [{row.ci_low:.3f}, {row.ci_high:.3f}]{reached}"
        )
    return "\n".join(lines)


def _floor_decimals(table: pd.DataFrame) -> int:
    """A Morris table's decimals: enough to show the noise floor (the dummy's mu* interval)
    to two significant digits, so an output of small values (a belief's error, 0.001) is not
    a column of zeros beside its verdicts; 3 at least, and without a dummy."""
    if "mu_star_conf" not in table:  # Sobol's indices are shares of variance, 0 to 1
        return 3
    dummy = table.loc[table["parameter"] == DUMMY, "mu_star_conf"]
    return decimals_for(0.0, float(dummy.iloc[0])) if len(dummy) else 3


def write_sensitivity(out: Path, design: Design, metrics: Sequence[str]) -> str:
    """Analyse a sensitivity experiment's stored outputs: sensitivity.md with a section and
    a figure per output (the first output's figure keeps the plain name), and, with a dummy
    and several outputs, each parameter's verdict across them. An output empty in every run
    (``steps_to_target`` when no run reached the target) is said to be so, with no table,
    figure or verdict: no parameter is inert or active on it."""
    from .plots import sensitivity_figure

    metrics = list(dict.fromkeys(metrics))
    runs = pd.read_csv(out / "runs.csv")
    values = {metric: sensitivity.outputs(runs, design, metric) for metric in metrics}
    empty = [metric for metric, y in values.items() if np.isnan(y).all()]
    unread = design.unread()
    tables = {
        metric: sensitivity.analyze(
            design.problem, design.x, y, design.method, seed=design.plan.seed, unread=unread
        )
        for metric, y in values.items()
        if metric not in empty
    }
    head = "#" if len(metrics) == 1 else "##"
    not_read = "".join(
        f"\n`{name}` is `{sensitivity.NOT_READ}`: no run of this screen reads it (only {runs} "
        "do), so its effect here is none by construction, not a finding.\n"
        for name, runs in unread.items()
    )
    sections = []
    for i, metric in enumerate(metrics):
        title = f"{design.method.title()} sensitivity of final {metric}"
        if metric in empty:
            sections.append(f"{head} {title}\n\n{sensitivity.empty_output(metric)}.\n")
            continue
        table = tables[metric]
        note = ""
        if "vs_dummy" in table:
            inert = table.loc[table["vs_dummy"] == "inert", "parameter"].tolist()
            note = (
                "\n`vs_dummy`: `inert` when a parameter's mu* confidence interval overlaps that "
                "of `dummy`, a range no mechanism reads (it only re-keys the run's random draws: "
                "the noise floor); `acts` otherwise. Inert here: "
                f"{', '.join(f'`{n}`' for n in inert) if inert else 'none'}.\n"
            )
        digits = _floor_decimals(table)
        sections.append(f"{head} {title}\n\n{markdown_table(table, digits)}\n{note}{not_read}")
        name = f"sensitivity_{design.method}" + (f"_{metric}" if i else "")
        sensitivity_figure(table, design.method, out / "figures" / f"{name}.png", title)
    runs_line = (
        f"{plural(len(design.x), 'point')} x {plural(design.plan.replications, 'replication')}"
        f" ({plural(len(runs), 'run')}) of `{design.plan.name}`."
    )
    if len(metrics) == 1:
        sections[0] = sections[0].replace("\n\n", f"\n\n{runs_line}\n\n", 1)
        text = sections[0]
    else:
        text = f"# {design.method.title()} sensitivity of {len(metrics)} outputs\n\n{runs_line}\n"
        if tables and all("vs_dummy" in t for t in tables.values()):
            verdicts = sensitivity.acts_on(tables)
            none = sensitivity.inert_everywhere(tables)
            judged = (
                f" Not judged on {', '.join(f'`{m}`' for m in empty)}: empty in every run."
                if empty
                else ""
            )
            text += (
                "\n## Across outputs\n\nA parameter is inert only when it acts on none of the "
                f"outputs.{judged}\n\n{markdown_table(verdicts)}\n\nInert on every output: "
                f"{', '.join(f'`{n}`' for n in none) if none else 'none'}.\n"
            )
        text += "\n" + "\n".join(sections)
    write_text(out / "sensitivity.md", text)
    return text
