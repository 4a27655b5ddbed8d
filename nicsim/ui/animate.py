"""Render a run as an animated GIF for slides (``nicsim animate``).

Each frame is one month: the network coloured by outcome (drawn by the same function as
the classroom page) beside the outcome curve so far. Frames are written one at a time with
matplotlib's PillowWriter, so memory stays flat however long the run.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.animation import PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..nic.model import NICModel
from ..nic.params import Params
from .netview import CMAP, NORMS, Trace, draw_network, draw_outcome


def render_gif(
    params: Params, seed: int, out: str | Path, *, fps: float = 4.0, dpi: int = 80
) -> Path:
    """Run ``params`` with ``seed`` for ``params.steps`` months and write the GIF to ``out``.

    Returns the path written. The first frame is the starting state (month 0).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model = NICModel(params, seed)
    trace = Trace(model)
    fig = Figure(figsize=(11, 5), layout="constrained")
    FigureCanvasAgg(fig)
    ax_net, ax_out = fig.subplots(1, 2, width_ratios=(1.15, 1))
    fig.suptitle(f"nicsim: {params.design} design, seed {seed}", fontsize=11)
    scatter = draw_network(ax_net, model)
    units = params.outcome_units
    # short: the outcome axis beside it, on the same scale, names the units in full
    bar = fig.colorbar(scatter or _mappable(units), ax=ax_net, shrink=0.7)
    bar.set_label("District outcome (colour)", fontsize=8)
    draw_outcome(ax_out, [(params.design, trace.columns())], horizon=params.steps, units=units)
    # Lay the figure out once: constrained layout on every frame would treble the time.
    fig.canvas.draw()
    fig.set_layout_engine("none")
    writer = PillowWriter(fps=fps)
    with writer.saving(fig, str(out), dpi):
        for month in range(params.steps + 1):
            if month:
                model.step()
                trace.record()
                draw_network(ax_net, model)
                draw_outcome(
                    ax_out, [(params.design, trace.columns())], horizon=params.steps, units=units
                )
            writer.grab_frame()
    model.release()
    return out


def _mappable(units: str):
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=NORMS[units], cmap=CMAP)
