"""Parameters: defaults, validation messages, --set parsing and config files."""

import pytest

from nicsim.core.params import ConfigError
from nicsim.lab.config import (
    from_dict,
    load_config,
    parameter_table,
    parse_overrides,
    read_toml,
    to_toml,
)
from nicsim.nic.params import FIELDS, Params


def test_defaults_are_the_ilead_like_nic():
    p = Params()
    assert (p.partnerships, p.districts_per_partnership, p.leaders_per_district) == (11, 3, 3)
    assert (p.convening_interval, p.steps, p.design, p.learning) == (3, 36, "hub", "pdsa")
    assert (p.n_components, p.k, p.h, p.outcome_exponent) == (12, 4, 0.3, 8.0)
    assert p.districts == 33


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("turnover_rate", -0.1, "turnover_rate = -0.1"),
        ("share_prob", 1.5, "in [0, 1]"),
        ("research_rate", "high", "expected a number"),
        ("partnerships", 0, "partnerships = 0"),
        ("districts_per_partnership", 0, ">= 1"),
        ("steps", 2.5, "an integer"),
        ("design", "star", "one of siloed, hub"),
        ("learning", "magic", "one of pdsa, copy_best"),
        ("approximate_max", "yes", "true or false"),
        ("measurement_noise", float("nan"), "measurement_noise"),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_is_allowed(key, value, words):
    with pytest.raises(ConfigError) as err:
        from_dict({key: value})
    msg = str(err.value)
    assert key in msg and words in msg and "allowed" in msg


def test_large_n_needs_the_approximate_maximum():
    with pytest.raises(ConfigError, match="approximate_max"):
        Params(n_components=25, k=2)
    assert Params(n_components=25, k=2, approximate_max=True).n_components == 25


def test_cross_field_rules():
    with pytest.raises(ConfigError, match="k = 12"):
        Params(k=12)
    with pytest.raises(ConfigError, match="leaders_per_district = 0"):
        Params(leaders_per_district=0)
    assert Params(leaders_per_district=0, learning="copy_best").leaders_per_district == 0
    with pytest.raises(ConfigError, match="graph_file"):
        Params(design="file")


def test_unknown_key_is_refused_with_a_suggestion():
    with pytest.raises(ConfigError, match="unknown parameter 'turnover'.*turnover_rate"):
        from_dict({"turnover": 0.1})


def test_overrides_parse_toml_values_and_bare_strings():
    got = parse_overrides(
        ["learning=copy_best", "h=0.5", "steps=12", "approximate_max=true", 'design="line"']
    )
    assert got == {
        "learning": "copy_best",
        "h": 0.5,
        "steps": 12,
        "approximate_max": True,
        "design": "line",
    }
    with pytest.raises(ConfigError, match="malformed"):
        parse_overrides(["h"])


def test_integers_are_accepted_for_floats_and_whole_floats_for_integers():
    p = from_dict({"h": 1, "steps": 12.0})
    assert p.h == 1.0 and isinstance(p.h, float)
    assert p.steps == 12 and isinstance(p.steps, int)


def test_config_file_round_trip(tmp_path):
    p = Params(design="networked", cross_ties=0.25, graph_file="")
    path = tmp_path / "x.toml"
    path.write_text("replications = 3\nseed = 9\n" + to_toml(p.to_dict()))
    cfg = load_config(path, {"h": 0.7})
    assert cfg.name == "x" and cfg.replications == 3 and cfg.seed == 9
    assert cfg.params == p.replace(h=0.7)


def test_config_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("share_prob = 2\n")
    with pytest.raises(ConfigError, match=r"bad.toml: share_prob = 2"):
        load_config(path)
    path.write_text("share_prob = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")
    path.write_text("replications = 0\n")
    with pytest.raises(ConfigError, match="replications = 0"):
        load_config(path)


def test_shipped_configs_are_valid(root):
    """Every config under configs/ loads; sweep files there (replications) plan."""
    from nicsim.lab.sweeps import load_sweep

    for path in sorted((root / "configs").rglob("*.toml")):
        raw = read_toml(path)
        if "base" in raw or "grid" in raw:
            assert load_sweep(path, replications=1).runs
        else:
            load_config(path)


def test_readme_parameter_table_lists_every_parameter(root):
    readme = (root / "README.md").read_text()
    assert parameter_table() in readme, "regenerate with: nicsim params"
    assert all(f"`{name}`" in readme for name in FIELDS)


def test_readme_describes_every_output_column(root):
    """Every column a run adds to runs.csv (and, per step, to timeseries.parquet) is named
    in the README's description of the outputs, as every parameter is in its table."""
    from nicsim.nic.metrics import RUN_METRICS

    readme = (root / "README.md").read_text()
    outputs = readme[readme.index("runs.csv") :]
    missing = [name for name in RUN_METRICS if f"`{name}`" not in outputs]
    assert not missing, missing
