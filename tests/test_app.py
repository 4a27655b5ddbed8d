"""The classroom page without a browser, the GIF export and the per-idea metrics."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from nicsim.nic import metrics
from nicsim.nic.ideas import ChangeIdea, Evidence
from nicsim.nic.model import NICModel
from nicsim.nic.params import FIELDS, Params
from nicsim.ui import netview

# -- per-idea metrics (no app extra needed) -------------------------------------------------


class _Trial:
    def __init__(self, idea, results, status="testing"):
        self.idea, self.results, self.status = idea, results, status

    @property
    def evidence(self):
        return Evidence(len(self.results), float(np.mean(self.results)))


def test_best_evidenced_idea_pools_every_districts_tests(small):
    model = NICModel(small, seed=3)
    a, b = ChangeIdea(1, 1), ChangeIdea(2, 2)
    for d in model.districts:
        d.trials = {}
    # a: one district saw +0.10 twice, another -0.04 twice -> pooled +0.03 over 4 tests
    model.districts[0].trials = {a.key: _Trial(a, [0.1, 0.1]), b.key: _Trial(b, [0.05])}
    model.districts[1].trials = {a.key: _Trial(a, [-0.04, -0.04]), b.key: _Trial(b, [0.05])}
    pooled = metrics.pooled_evidence(model)
    assert pooled[a.key][1].tests == 4
    assert pooled[a.key][1].mean_gain == pytest.approx(0.03)
    assert pooled[b.key][1] == Evidence(2, 0.05)
    # b has the higher pooled gain and enough tests (min_tests = 2)
    assert metrics.best_evidenced_idea(model).key == b.key
    model.districts[1].trials.pop(b.key)  # b now has 1 test < min_tests
    assert metrics.best_evidenced_idea(model).key == a.key


def test_adopters_and_top_ideas_follow_practice(small):
    model = NICModel(small, seed=3).run(small.steps)
    counts = metrics.adoption_counts(model)
    for key, n in counts.items():
        assert len(metrics.adopters(model, key)) == n
    top = metrics.top_ideas(counts, 3)
    assert len(top) == min(3, len(counts))
    assert [counts[k] for k in top] == sorted((counts[k] for k in top), reverse=True)
    assert metrics.max_outcome(model) == pytest.approx(model.outcome.max())


def test_idea_label_names_components():
    assert metrics.idea_label((0b1010, 0b1000), 4) == "c1=0 c3=1"
    assert metrics.idea_label((0, 0), 4) == "no change"


def test_per_idea_metrics_stay_out_of_runs_csv():
    for name in ("max_outcome", "best_evidenced_idea", "adoption_counts", "top_ideas"):
        assert name not in metrics.STEP_REPORTERS


# -- layout and drawing ---------------------------------------------------------------------


def test_layout_is_computed_once_per_network(small):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    model = NICModel(small.replace(design="networked", tie_formation=0.5), seed=2)
    before = netview.layout_calls
    ax = Figure().subplots()
    edges = model.graph.number_of_edges()
    for _ in range(4):
        model.step()
        netview.draw_network(ax, model)
    assert model.graph.number_of_edges() > edges  # ties formed, yet no new layout
    assert netview.layout_calls == before + 1
    assert set(netview.layout(model.graph)) == set(model.graph)


def test_layout_covers_generic_designs():
    p = Params(design="ring", n_districts=8, n_components=6, k=1)
    model = NICModel(p, seed=1)
    assert set(netview.layout(model.graph)) == set(model.graph)


@pytest.mark.slow
def test_animate_writes_a_gif_with_a_frame_per_month(tmp_path, small):
    from PIL import Image

    from nicsim.ui.animate import render_gif

    out = render_gif(small.replace(steps=3), seed=1, out=tmp_path / "run.gif", dpi=40)
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.n_frames == 4


@pytest.mark.slow
def test_animate_cli_bad_set_is_one_line(tmp_path, root):
    run = subprocess.run(
        [sys.executable, "-m", "nicsim.ui.cli", "animate", str(root / "configs/default.toml")]
        + ["--out", str(tmp_path / "x.gif"), "--set", "h=2"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0
    assert "h = 2 is not allowed: expected a number in [0, 1]" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.slow
def test_animate_cli_refuses_non_gif_out(tmp_path, root):
    run = subprocess.run(
        [sys.executable, "-m", "nicsim.ui.cli", "animate", str(root / "configs/default.toml")]
        + ["--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "ending in .gif" in run.stderr


# -- the page (needs the app extra) ---------------------------------------------------------


@pytest.fixture
def app():
    pytest.importorskip("solara", reason="the app extra is not installed")
    from nicsim.ui import app

    return app


@pytest.mark.slow
def test_presets_are_data_and_give_valid_params(app):
    base = app.base_settings()
    assert set(app.PRESETS) == {
        "Siloed partnerships",
        "Hub-and-spoke NIC",
        "Networked NIC",
        "High leader turnover",
        "Very different contexts",
    }
    for name, changes in app.PRESETS.items():
        assert len(changes) >= 2, name
        assert set(changes) <= set(app.CONTROLS), name
        settings = app.apply_preset({**base, "seed": 7, "compare": "siloed"}, name, base)
        params = app.settings_params(settings)
        assert isinstance(params, Params)
        for key, value in changes.items():
            assert getattr(params, key) == value
        assert settings["seed"] == 7 and settings["compare"] == "siloed"


@pytest.mark.slow
def test_controls_read_ranges_from_params_metadata(app):
    for name in app.CONTROLS:
        md = FIELDS[name].metadata
        assert md["help"]
        if "choices" not in md:
            hi = md["hi"] if md["hi"] is not None else app.SLIDER_MAX[name]
            assert md["lo"] <= getattr(Params(), name) <= hi


@pytest.mark.slow
def test_a_control_neither_run_reads_is_named_with_the_runs_that_would(app):
    """Siloed partnerships have no hub and no cross ties: both controls do nothing, unless
    the design side by side reads them."""
    settings = {**app.base_settings(), "design": "siloed", "compare": app.NO_COMPARE}
    assert app.unread_controls(settings) == {
        "convening_interval": "designs with a hub (hub, networked, a graph file's)",
        "cross_ties": "runs with design = 'networked'",
    }
    assert app.unread_controls({**settings, "compare": "hub"}) == {
        "cross_ties": "runs with design = 'networked'"
    }
    assert app.unread_controls({**settings, "compare": "networked"}) == {}
    assert app.unread_controls({**settings, "design": "networked"}) == {}


@pytest.mark.slow
def test_side_by_side_shares_the_problem_and_start(app):
    settings = {**app.base_settings(), "design": "hub", "compare": "siloed", "steps": 3}
    model = app.ClassroomModel(settings)
    a, b = (t.model for t in model.traces)
    assert b.p.design == "siloed" and a.p.design == "hub"
    np.testing.assert_array_equal(a.practice, b.practice)  # common random numbers
    np.testing.assert_array_equal(a.outcome, b.outcome)
    for _ in range(3):
        model.step()
    assert not model.running  # stops at the horizon
    table = app.run_table(model)
    assert set(table["run"]) == {"A", "B"} and len(table) == 2 * 4
    assert {"step", "mean_outcome", "max_outcome", "equity_gap", "design", "seed"} <= set(table)
    assert app.run_csv(model).startswith(b"run,design,seed,step,")


def _widgets(widget):
    """Every widget under ``widget`` (the sidebar lives in AppLayout's portal, which
    reacton's finder does not search)."""
    import ipywidgets

    yield widget
    for attr in ("children", "items"):
        for child in getattr(widget, attr, None) or []:
            if isinstance(child, ipywidgets.Widget):
                yield from _widgets(child)


def _find_text(box, text):
    return [w for w in _widgets(box) if text in (getattr(w, "children", None) or [])]


def _step_shown(box) -> int | None:
    """The step Mesa's counter shows: "Step: 2" in Mesa 3.3, "Time: 2.0" in Mesa 3.5."""
    for w in _widgets(box):
        for child in getattr(w, "children", None) or []:
            found = re.fullmatch(r"Step: (\d+)|Time: (\d+)\.0", str(child))
            if found:
                return int(found.group(1) or found.group(2))
    return None


@pytest.mark.slow
def test_page_renders_and_steps_without_a_browser(app):
    import ipyvuetify as v
    import solara

    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    labels = {str(b.children[-1]) for b in rc.find(v.Btn).widgets}
    assert {"Reset", "Step", "▶", *app.PRESETS} <= labels
    assert _step_shown(box) == 0
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert _step_shown(box) == 2
    # five figures: the network and four live plots
    import ipywidgets

    images = [w for w in _widgets(box) if isinstance(w, ipywidgets.Image)]
    assert len(images) == len(app.COMPONENTS)
    assert all(bytes(w.value[:4]) == b"\x89PNG" for w in images)
    # the hub design does not read the networked design's cross ties, and says so
    unread_note = "Not read by this run: only runs with design = 'networked' read it."
    assert _find_text(box, unread_note)
    # a preset sets its values in the controls and starts a new run
    rc.find(v.Btn, children=["Very different contexts"]).widget.click()
    assert _step_shown(box) == 0
    assert rc.find(v.Select, label="Network design").widget.v_model == "networked"
    assert rc.find(v.Slider, v_model=0.9).widgets  # h
    assert not _find_text(box, unread_note)
    rc.close()


@pytest.mark.slow
def test_app_config_sets_the_starting_values(app, monkeypatch, root):
    monkeypatch.setenv(app.CONFIG_ENV, str(root / "configs" / "siloed.toml"))
    base = app.base_settings()
    assert base["design"] == "siloed"
    assert app.ClassroomModel(base).p.design == "siloed"
