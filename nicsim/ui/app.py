"""The classroom page: watch change ideas spread through a NIC, live and offline.

``nicsim app`` serves this module with Solara; ``Page`` is the page, built on Mesa's
``SolaraViz`` (Reset, play/pause, Step, play interval, the step counter) in the style of
Mesa's examples: small components, each a function of the live model.

What the page adds to SolaraViz:

- a "Classroom settings" card: presets, a seed, the parameters that matter in class (labels
  in plain language; ranges and help text read from the :class:`~nicsim.nic.params.Params`
  field metadata, so nothing is written twice) and a side-by-side design;
- the network view and live plots, drawn with :mod:`nicsim.ui.netview` (shared with the GIF);
- a CSV download of the current run's per-step data.

Settings apply when Reset is pressed, as in any Mesa page; a preset applies at once.
The settings reach Mesa's Reset through one model parameter, ``settings``, a read-only view
of the page's reactive settings, so Reset always builds the model from what the card shows.

The model never imports this module: :class:`ClassroomModel` adapts ``NICModel`` to the
keyword arguments SolaraViz passes, and adds the twin run of the side-by-side mode.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
import solara

# Mesa 3.3's ComponentsView trips Solara's hook checker when Mesa is imported; the warning is
# harmless, not ours to fix, and would only alarm a teacher reading the terminal.
warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early")
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz

from ..core.params import ConfigError, allowed, never_read
from ..lab.config import check_run_key, from_dict, load_config
from ..nic.graphs import named_graph
from ..nic.landscape import OUTCOME_LABELS
from ..nic.metrics import idea_label
from ..nic.model import NICModel
from ..nic.params import FIELDS, Params
from .netview import CMAP, NORMS, Trace, draw_network, draw_outcome, legend_handles

# -- what the class can change -------------------------------------------------------------
# Plain-language labels. The help text, the ranges and the choices come from the Params
# field metadata; SLIDER_MAX only caps ranges the metadata leaves open (no upper bound).
LABELS = {
    "design": "Network design",
    "h": "How different the districts' contexts are (h)",
    "measurement_noise": "Measurement noise",
    "turnover_rate": "Leader turnover per year",
    "convening_interval": "Months between hub convenings",
    "cross_ties": "Ties across partnerships (networked design)",
    "share_prob": "Chance an adopted idea is shared, per tie and month",
    "steps": "Months to simulate",
}
CONTROLS = tuple(LABELS)
SLIDER_MAX = {"measurement_noise": 90.0, "convening_interval": 12, "steps": 120}
SLIDER_STEP = {"h": 0.05, "measurement_noise": 1.0, "turnover_rate": 0.01, "cross_ties": 0.01}
NO_COMPARE = "none"
# What each design means, shown under the design selector (the metadata only names them).
DESIGN_NOTES = {
    "siloed": "each university works with its own districts; no ties between partnerships",
    "hub": "siloed partnerships plus a hub that convenes everyone and spreads what works",
    "networked": "a hub plus direct ties between districts of different partnerships",
    "complete": "every organisation tied to every other",
}

# Presets are data: each names the settings it changes from the page's starting values.
PRESETS: dict[str, dict[str, Any]] = {
    "Siloed partnerships": {"design": "siloed", "cross_ties": 0.0, "share_prob": 0.5},
    "Hub-and-spoke NIC": {"design": "hub", "convening_interval": 3, "cross_ties": 0.0},
    "Networked NIC": {"design": "networked", "cross_ties": 0.15, "convening_interval": 3},
    "High leader turnover": {"design": "hub", "turnover_rate": 0.5, "measurement_noise": 60.0},
    "Very different contexts": {"design": "networked", "cross_ties": 0.15, "h": 0.9},
}

CONFIG_ENV = "NICSIM_APP_CONFIG"  # `nicsim app --config FILE` hands the file over in this


def base_settings() -> dict[str, Any]:
    """The page's starting settings: defaults, or the config named by ``nicsim app --config``.

    A network file the config names is read here, once: Reset and the presets build their
    runs from this graph, so a file edited or removed while the page is open cannot break a
    lesson (restart ``nicsim app`` to load an edited file).
    """
    path = os.environ.get(CONFIG_ENV)
    params, seed = (Params(), 1)
    if path:
        cfg = load_config(path)
        params, seed = cfg.params, cfg.seed
    values = {name: getattr(params, name) for name in CONTROLS}
    graph = named_graph(params)
    return {**values, "seed": seed, "compare": NO_COMPARE, "_base": params, "_graph": graph}


def design_choices(base: Params) -> list[str]:
    """Designs the selector offers: all built-in ones (a file design only if configured)."""
    choices = list(FIELDS["design"].metadata["choices"])
    return [c for c in choices if c != "file" or base.graph_file]


def apply_preset(settings: Mapping[str, Any], name: str, base: Mapping[str, Any]) -> dict:
    """Settings after choosing preset ``name``: the base values, then the preset's changes.

    The seed and the side-by-side choice are kept, so a class can compare presets on the
    same problem.
    """
    out = {**base, **PRESETS[name]}
    out["seed"], out["compare"] = settings["seed"], settings["compare"]
    return out


def settings_params(settings: Mapping[str, Any]) -> Params:
    """Validated Params for the settings (the base config with the controls applied)."""
    base = settings.get("_base") or Params()
    return from_dict({k: settings[k] for k in CONTROLS if k in settings}, base=base)


def unread_controls(settings: Mapping[str, Any]) -> dict[str, str]:
    """The controls that neither run on the page reads (the chosen design, and the one side
    by side), each with the runs that would read it (docs/ODD.md, section 7.16): a slider
    that changes nothing says so, rather than leave a class wondering why nothing moved."""
    try:
        params = settings_params(settings)
        runs = [params]
        if settings.get("compare", NO_COMPARE) != NO_COMPARE:
            runs.append(params.replace(design=settings["compare"]))
    except ConfigError:  # the run itself says what is wrong when it is built
        return {}
    return {name: found.runs for name, found in never_read(runs).items() if name in CONTROLS}


class LiveSettings(Mapping):
    """A read-only view of the page's reactive settings, handed to Mesa as a fixed parameter.

    SolaraViz copies its model parameters once, when the page opens; through this view its
    Reset button reads the settings as they are when it is pressed.
    """

    def __init__(self, reactive: solara.Reactive[dict[str, Any]]) -> None:
        self._reactive = reactive

    def __getitem__(self, key: str) -> Any:
        return self._reactive.value[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._reactive.value)

    def __len__(self) -> int:
        return len(self._reactive.value)


class ClassroomModel(NICModel):
    """NICModel built from the page's settings, with an optional twin for side by side.

    The twin runs another design with the same seed; the model gives both the same
    landscape and starting practices (common random numbers), so any difference between
    the two runs is the network's doing (and chance in the dynamics).
    """

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        values = dict(settings) if settings is not None else base_settings()
        params = settings_params(values)
        seed = check_run_key("seed", values.get("seed", 1))
        graph = values.get("_graph")  # the file design's network, read when the page opened
        super().__init__(params, seed, graph if params.design == "file" else None)
        self.settings = values
        compare = values.get("compare", NO_COMPARE)
        self.traces = [Trace(self, f"A: {params.design}")]
        if compare != NO_COMPARE:
            twin = NICModel(
                params.replace(design=compare), seed, graph if compare == "file" else None
            )
            self.traces.append(Trace(twin, f"B: {compare}"))

    def step(self) -> None:
        """One month for both runs; ``running`` turns False at the horizon (NICModel's
        step), and Play and Step turn off."""
        super().step()
        self.traces[0].record()
        for trace in self.traces[1:]:
            trace.model.step()
            trace.record()

    def release(self) -> None:
        """Forget both runs in Mesa's id counters (see NICModel.release)."""
        super().release()
        for trace in self.traces[1:]:
            trace.model.release()


def run_table(model: ClassroomModel) -> pd.DataFrame:
    """The current run's per-step data, one row per run and month (what the CSV holds)."""
    frames = []
    for trace in model.traces:
        df = pd.DataFrame(trace.columns())
        df.insert(0, "run", trace.label[0])
        df.insert(1, "design", trace.model.p.design)
        df.insert(2, "seed", model.seed)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def run_csv(model: ClassroomModel) -> bytes:
    buf = io.StringIO()
    run_table(model).to_csv(buf, index=False)
    return buf.getvalue().encode()


# -- components: each a function of the live model, redrawn by SolaraViz after a step ------
COLORS = ("#1f77b4", "#ff7f0e")


def _figure(fig: Figure) -> solara.Element:
    # Fixed margins, no tight bounding box: layout engines would double the drawing time of
    # every redraw, and redraws are what limit how fast Play can go.
    return solara.FigureMatplotlib(fig, format="png")


def _plot_figure() -> tuple[Figure, Any]:
    fig = Figure(figsize=(6, 3.6))
    fig.subplots_adjust(left=0.12, right=0.88, bottom=0.14, top=0.9)
    return fig, fig.subplots()


def NetworkView(model: ClassroomModel) -> solara.Element:
    """The network(s): districts coloured by outcome, adopters of the best idea ringed."""
    n = len(model.traces)
    width = 2.3 + 4.4 * n + 1.1  # legend, networks, colour bar (inches)
    fig = Figure(figsize=(width, 4.4))
    for i, trace in enumerate(model.traces):
        ax = fig.add_axes(((2.3 + 4.4 * i) / width, 0.02, 4.3 / width, 0.86))
        title = f"{trace.label}: month {trace.model.steps}"
        draw_network(ax, trace.model, title=title, legend=False)
    fig.legend(handles=legend_handles(), loc="upper left", fontsize=8, frameon=False)
    cax = fig.add_axes(((width - 0.9) / width, 0.12, 0.15 / width, 0.72))
    units = model.p.outcome_units
    norm = NORMS[units]
    fig.colorbar(ScalarMappable(norm=norm, cmap=CMAP), cax=cax, label=OUTCOME_LABELS[units])
    return _figure(fig)


def OutcomePlot(model: ClassroomModel) -> solara.Element:
    """Mean outcome with the band from the worst to the best district."""
    fig, ax = _plot_figure()
    draw_outcome(
        ax,
        [(t.label, t.columns()) for t in model.traces],
        horizon=model.p.steps,
        units=model.p.outcome_units,
    )
    return _figure(fig)


def EquityPlot(model: ClassroomModel) -> solara.Element:
    """Equity gap: how far the top quarter of districts is ahead of the bottom quarter."""
    fig, ax = _plot_figure()
    for trace, color in zip(model.traces, COLORS, strict=False):
        cols = trace.columns()
        ax.plot(cols["step"], cols["equity_gap"], color=color, lw=2, label=trace.label)
    _month_axis(
        ax,
        model,
        "Equity gap (top - bottom quarter, outcome units)",
        "Equity gap: how far the best quarter is ahead of the worst",
        top=100.0 if model.p.outcome_units == "percent" else 1.0,
    )
    return _figure(fig)


def IdeasPlot(model: ClassroomModel) -> solara.Element:
    """Share of districts practising each of the three most adopted ideas, month by month."""
    fig, ax = _plot_figure()
    n = model.p.n_components
    for trace, color in zip(model.traces, COLORS, strict=False):
        shares = trace.idea_shares(3).items()
        for style, (key, share) in zip(("-", "--", ":"), shares, strict=False):
            label = f"{trace.label[0]}: {idea_label(key, n)}"
            ax.plot(range(len(share)), share, color=color, ls=style, lw=2, label=label)
    _month_axis(ax, model, "Share of districts that adopted it", "The three most adopted ideas")
    return _figure(fig)


def LeadersPlot(model: ClassroomModel) -> solara.Element:
    """Mean leader skill (line) and leaders leaving each month (bars)."""
    fig, ax = _plot_figure()
    bars = ax.twinx()
    width = 0.8 / len(model.traces)
    for i, (trace, color) in enumerate(zip(model.traces, COLORS, strict=False)):
        cols = trace.columns()
        ax.plot(cols["step"], cols["mean_skill"], color=color, lw=2, label=f"{trace.label} skill")
        x = cols["step"] + (i - (len(model.traces) - 1) / 2) * width
        bars.bar(x, cols["leader_departures"], width=width, color=color, alpha=0.35)
    _month_axis(
        ax, model, "Mean leader skill", "Leader skill (lines) and leaders leaving each month (bars)"
    )
    bars.set_ylabel("Leaders leaving (bars)")
    bars.set_ylim(0, max(5, *(max(t.columns()["leader_departures"]) for t in model.traces)) * 1.3)
    return _figure(fig)


def _month_axis(ax, model: ClassroomModel, ylabel: str, title: str, top: float = 1.0) -> None:
    """Months across, 0 to ``top`` up (a share, or an equity gap in outcome units), the
    title and the legend of a page plot."""
    ax.set_title(title, fontsize=9)
    ax.set_ylim(0, top)
    ax.set_xlim(0, model.p.steps)
    ax.set_xlabel("Month")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=7)


COMPONENTS = [NetworkView, OutcomePlot, EquityPlot, IdeasPlot, LeadersPlot]


# -- the settings card ----------------------------------------------------------------------
HELP_STYLE = {"font-size": "0.8em", "color": "#555", "line-height": "1.2"}
UNREAD_STYLE = {**HELP_STYLE, "color": "#8a4b00", "font-style": "italic"}


def _help(name: str) -> str:
    f = FIELDS[name]
    return f"{f.metadata['help']} ({allowed(f)})"


@solara.component
def Control(
    name: str,
    settings: solara.Reactive[dict[str, Any]],
    choices: list[str],
    read_by: str | None = None,
) -> None:
    """One setting: a slider or selector with its plain label and the metadata's help, and
    ``read_by`` (the runs that would read it) when neither run on the page reads it."""
    f = FIELDS[name]

    def set_value(value: Any, name: str = name) -> None:
        settings.value = {**settings.value, name: value}

    value = settings.value[name]
    if "choices" in f.metadata:
        solara.Select(LABELS[name], values=choices, value=value, on_value=set_value)
        note = DESIGN_NOTES.get(value, f.metadata["help"])
        solara.Text(f"{value}: {note}", style=HELP_STYLE)
        return
    md = f.metadata
    hi = md["hi"] if md["hi"] is not None else SLIDER_MAX[name]
    solara.Markdown(f"**{LABELS[name]}**: {value:g}")
    if f.type in ("int", int):
        solara.SliderInt("", value=value, min=int(md["lo"]), max=int(hi), on_value=set_value)
    else:
        step = SLIDER_STEP.get(name, 0.01)
        solara.SliderFloat(
            "", value=value, min=float(md["lo"]), max=float(hi), step=step, on_value=set_value
        )
    solara.Text(_help(name), style=HELP_STYLE)
    if read_by:
        solara.Text(f"Not read by this run: only {read_by} read it.", style=UNREAD_STYLE)


@solara.component
def SeedField(settings: solara.Reactive[dict[str, Any]]) -> None:
    """The seed: the same seed gives the same problem, start and run, for repeatable demos."""
    text = solara.use_reactive(str(settings.value["seed"]))
    error: str | bool = False
    try:
        seed = check_run_key("seed", int(text.value.strip()))
    except (ValueError, ConfigError):
        error = f"seed = {text.value!r} is not allowed: expected an integer >= 0"
    else:
        if seed != settings.value["seed"]:
            settings.value = {**settings.value, "seed": seed}
    solara.InputText(
        "Seed (same seed = same problem and start)",
        value=text,
        continuous_update=True,
        error=error,
    )


@solara.component
def SettingsCard(
    settings: solara.Reactive[dict[str, Any]],
    model: solara.Reactive[ClassroomModel],
    base: dict[str, Any],
) -> None:
    """Presets, seed, the classroom parameters, side by side and the CSV download."""
    designs = design_choices(base["_base"])

    def release_when_replaced():
        # Reset and presets replace the model; without this Mesa's id counters would keep
        # every replaced model alive for the life of the server.
        current = model.value
        return current.release

    solara.use_effect(release_when_replaced, [model.value])

    def choose(name: str) -> None:
        settings.value = apply_preset(settings.value, name, base)
        model.value = ClassroomModel(LiveSettings(settings))

    with solara.Card("Classroom settings"):
        solara.Markdown("**Presets** (start a new run at once)")
        with solara.Column(gap="4px"):
            for name in PRESETS:
                solara.Button(name, on_click=lambda name=name: choose(name), small=True, text=True)
        SeedField(settings)
        unread = unread_controls(settings.value)
        for name in CONTROLS:
            Control(name, settings, designs, unread.get(name))
        compare = settings.value["compare"]
        solara.Select(
            "Side by side: also run this design on the same problem",
            values=[NO_COMPARE, *designs],
            value=compare,
            on_value=lambda v: settings.set({**settings.value, "compare": v}),
        )
        if {k: v for k, v in settings.value.items()} != model.value.settings:
            solara.Warning("Settings changed: press Reset to start a run with them.", dense=True)
        solara.FileDownload(
            lambda: run_csv(model.value),
            filename="nicsim-run.csv",
            label="Download this run's data (CSV)",
        )


def open_page() -> tuple[dict[str, Any], ClassroomModel] | str:
    """The page's starting settings and first run, or why the page cannot open, in one line
    (a bad config or network file: ``nicsim app`` checks both, but the file may have changed
    since, or the page may be served some other way)."""
    try:
        base = base_settings()
        return base, ClassroomModel(base)
    except ConfigError as exc:
        return str(exc)


PAGE_TITLE = "nicsim: networked improvement communities"


@solara.component
def Page() -> None:
    """The classroom page, or the one-line reason it cannot open (never a traceback)."""
    solara.Title(PAGE_TITLE)  # the browser tab's, so a projected tab says what it is
    opened = solara.use_memo(open_page, [])
    if isinstance(opened, str):
        solara.Error(f"nicsim: error: {opened}")
    else:
        ClassroomPage(*opened)


@solara.component
def ClassroomPage(base: dict[str, Any], first: ClassroomModel) -> None:
    """SolaraViz with the settings card beside Mesa's controls."""
    settings = solara.use_reactive(dict(base))
    live = solara.use_memo(lambda: LiveSettings(settings), [])
    model = solara.use_memo(lambda: solara.reactive(first), [])
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params={"settings": live},
        name="nicsim: how change ideas spread through a networked improvement community",
        play_interval=150,
    )
    SettingsSidebar(settings, model, base)


@solara.component
def SettingsSidebar(
    settings: solara.Reactive[dict[str, Any]],
    model: solara.Reactive[ClassroomModel],
    base: dict[str, Any],
) -> None:
    """The settings card in the sidebar, below Mesa's controls.

    Solara orders sidebar content by the depth of the component that adds it; adding it
    from this child, one level below SolaraViz, puts the card after Mesa's cards.
    """
    _SidebarCard(settings, model, base)


@solara.component
def _SidebarCard(settings, model, base) -> None:
    with solara.Sidebar():
        SettingsCard(settings, model, base)
