"""Parameters: defaults, validation messages, --set parsing and config files."""

import tomllib

import pytest

from nicsim.core.params import ConfigError, check_run_key
from nicsim.lab.config import (
    from_dict,
    load_config,
    parameter_table,
    parse_overrides,
    read_toml,
    to_toml,
)
from nicsim.nic.params import FIELDS, Params, check_research_units


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


def test_set_items_are_trimmed_one_key_each_and_may_name_the_model():
    """`--set` trims the key and the value (a trailing line break too), so `h =0.5` and
    `design= line ` mean what they say; `model` is a key `--set` may name; an item with
    no key is malformed, not an unknown parameter ''."""
    got = parse_overrides(["h =0.5", "design= line ", "steps=3\n", "model=march"])
    assert got == {"h": 0.5, "design": "line", "steps": 3, "model": "march"}
    with pytest.raises(ConfigError) as err:
        parse_overrides(["=0.5"])
    assert str(err.value) == "--set '=0.5' is malformed: expected KEY=VALUE"


def test_to_toml_writes_each_type_so_that_it_reads_back_exactly():
    """A float keeps every digit, an integer stays an integer, false is TOML's, and a
    string's backslashes and quotes are escaped (a Windows path reads back as written)."""
    values = {"h": 0.1234567891, "steps": 12, "connected": False, "graph_file": 'C:\\n"x"'}
    text = to_toml(values)
    assert (
        text == 'h = 0.1234567891\nsteps = 12\nconnected = false\ngraph_file = "C:\\\\n\\"x\\""\n'
    )
    back = tomllib.loads(text)
    assert back == values and type(back["steps"]) is int


def test_a_relative_graph_file_is_beside_the_config_if_there_else_from_the_current_folder(
    tmp_path, monkeypatch
):
    """README: a config's relative graph_file means the file beside the config (when it is
    there; else the path as written, from the current folder); a `--set` path is always
    from the current folder, even when the config's folder has a file of that name."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    config = tmp_path / "sub" / "c.toml"
    config.write_text('graph_file = "g.csv"\n')
    assert load_config(config).params.graph_file == "g.csv"  # not beside: as written
    (tmp_path / "sub" / "g.csv").write_text("source,target\n")
    assert load_config(config).params.graph_file == str(tmp_path / "sub" / "g.csv")
    set_here = load_config(config, parse_overrides(["graph_file=g.csv"]))
    assert set_here.params.graph_file == "g.csv"


def test_a_config_without_run_keys_is_10_replications_from_seed_1(tmp_path):
    """README: `nicsim run` runs a config 10 times, from seed 1, unless it says otherwise."""
    path = tmp_path / "c.toml"
    path.write_text("steps = 2\n")
    cfg = load_config(path)
    assert (cfg.replications, cfg.seed) == (10, 1)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"h": True}, "h = True is not allowed: expected a number in [0, 1]"),
        ({"connected": 1}, "connected = 1 is not allowed: expected true or false"),
        (
            {"measurement_noise": float("inf")},
            "measurement_noise = inf is not allowed: expected a number >= 0",
        ),
        ({"model": ["nic"]}, "model = ['nic'] is not allowed: expected one of nic, march"),
    ],
)
def test_a_flag_is_no_number_a_number_no_flag_and_infinity_no_number(values, message):
    """true is not 1.0 nor 1 true, an unbounded number must still be finite, and a model
    named by something other than a string is the same one-line refusal (no traceback)."""
    with pytest.raises(ConfigError) as err:
        from_dict(values)
    assert str(err.value) == message


def test_a_model_key_must_agree_with_the_base_config():
    """A sweep's [params] on a March base may not switch to the NIC model mid-way."""
    from nicsim.march import MarchParams

    with pytest.raises(ConfigError) as err:
        from_dict({"model": "nic"}, MarchParams())
    assert str(err.value) == (
        "model = 'nic' is not allowed here: expected the base config's model 'march'"
    )


def test_the_largest_seed_is_2_to_the_63_minus_1():
    """seed takes every integer in [0, 2**63 - 1], both ends included, and no more."""
    assert check_run_key("seed", 2**63 - 1) == 2**63 - 1
    assert check_run_key("seed", 0) == 0
    with pytest.raises(ConfigError) as err:
        check_run_key("seed", 2**63)
    assert str(err.value) == (
        "seed = 9223372036854775808 is not allowed: expected an integer in [0, 9223372036854775807]"
    )


POWER = {"outcome_units": "power", "judgment": "model1", "research_quality": 1.0, "target": 0.5}
RANDOM = {"design": "random", "n_districts": 4, "learning": "copy_best", "leaders_per_district": 0}


@pytest.mark.parametrize(
    "values",
    [
        {"novice_skill": 0.3, "initial_skill": 0.3},  # skill drawn from [0.3, 0.3]
        {"steps": 1, "min_tests": 3},  # exactly the 1 x 3 x 1 tests of the run
        {"steps": 1, "tests_per_leader": 2, "min_tests": 6},  # 1 x 3 x 2
        {"target": 100.0},  # percent units: the best practice
        {**POWER, "target": 0.0},  # power units: [0, 1], both ends
        {**POWER, "target": 1.0},
        {"outcome_exponent": 0.0},  # unused in percent units
        {"learning": "copy_best", "tests_per_leader": 0},  # no PDSA, no tests
        {**POWER, "learning": "copy_best", "judgment": "belief"},  # no PDSA, no beliefs
        {**RANDOM, "connected": True, "density": 0.5},  # 3 ties expected, 3 needed
        {**RANDOM, "density": 0.01},  # not asked to be connected
    ],
)
def test_cross_field_rules_allow_their_boundaries(values):
    """Each rule that ties fields together refuses only what no run could use: the values
    at its boundary, and combinations it does not concern, are allowed."""
    assert from_dict(values).to_dict().items() >= values.items()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"steps": 1, "tests_per_leader": 2, "min_tests": 7},
            "min_tests = 7 is not allowed with 1 steps: a district runs at most 6 tests in the "
            "run (steps x leaders_per_district x tests_per_leader), so no idea could ever be "
            "decided (expected <= 6)",
        ),
        (
            {**POWER, "research_quality": 0.5},  # on a NIC design: its universities
            "research_quality = 0.5 is not allowed with outcome_units = 'power': a university "
            "learns from gains, linear in percent units only (expected 1)",
        ),
        (
            {**POWER, "target": 1.5},
            "target = 1.5 is not allowed: expected a number in [0, 1] with outcome_units = 'power'",
        ),
        (
            {"target": 100.5},
            "target = 100.5 is not allowed: expected a number <= 100 with outcome_units = "
            "'percent'",
        ),
        (
            {**RANDOM, "connected": True, "density": 0.4},
            "density = 0.4 is not allowed with connected = true and 4 districts: expected >= "
            "0.5 (a connected graph needs 3 ties, this density gives 2.4 on average)",
        ),
        (
            {"design": "line", "n_districts": 1, "learning": "copy_best"},
            "n_districts = 1 is not allowed with design = 'line': expected >= 2 districts (0 "
            "means partnerships x districts_per_partnership = 33)",
        ),
        (
            {
                "landscape": "mason_watts",
                "design": "line",
                "learning": "copy_best",
                "copy_error": 0.1,
            },
            "copy_error = 0.1 is not allowed with landscape = 'mason_watts': expected 0 (a "
            "copy fails bit by bit, and a grid cell has no bits)",
        ),
        (
            {"n_components": 25, "k": 2},
            "n_components = 25 is not allowed: exact maxima need N <= 24; set approximate_max "
            "= true to use an estimated maximum",
        ),
        (  # was cut down to 1 without a word (and runs.csv said 5)
            {"design": "lattice", "n_districts": 3, "lattice_k": 5, "learning": "copy_best"},
            "lattice_k = 5 is not allowed with 3 districts: expected at most 1 (half the "
            "districts: then every district is tied to every other)",
        ),
        (  # 5 x 2 links: fewer rewirings were made than runs.csv said
            {"design": "small_world", "n_districts": 5, "rewirings": 11, "learning": "copy_best"},
            "rewirings = 11 is not allowed with 5 districts and lattice_k = 2: expected at most "
            "the lattice's 10 links (each rewiring moves a different one)",
        ),
        (  # k = n / 2: the lattice is complete, n (n - 1) / 2 = 6 links
            {"design": "small_world", "n_districts": 4, "rewirings": 7, "learning": "copy_best"},
            "rewirings = 7 is not allowed with 4 districts and lattice_k = 2: expected at most "
            "the lattice's 6 links (each rewiring moves a different one)",
        ),
    ],
)
def test_cross_field_rules_name_the_values_and_the_limit(values, message):
    """A combination no run could use is one line naming the value, what it is tied to and
    the limit, computed from the other fields."""
    with pytest.raises(ConfigError) as err:
        from_dict(values)
    assert str(err.value) == message


def test_research_quality_binds_in_power_units_only_where_there_are_universities():
    """A file's graph may hold no university: then research_quality is a no-op and any
    value is allowed in power units; with one, a university below quality 1 is refused."""
    p = from_dict({**POWER, "research_quality": 0.5, "design": "file", "graph_file": "g.csv"})
    check_research_units(p, universities=0)
    with pytest.raises(ConfigError) as err:
        check_research_units(p, universities=1)
    assert str(err.value) == (
        "research_quality = 0.5 is not allowed with outcome_units = 'power': a university "
        "learns from gains, linear in percent units only (expected 1)"
    )


def test_a_nic_design_counts_its_partnerships_districts_whatever_n_districts_says():
    """n_districts sizes the district-only designs (0: partnerships x districts); a NIC
    design is always partnerships x districts_per_partnership."""
    assert Params(design="hub", n_districts=5).districts == 33
    assert Params(design="line").districts == 33
    assert Params(design="line", n_districts=5).districts == 5
