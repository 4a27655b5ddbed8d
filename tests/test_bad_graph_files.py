"""A bad graph file names the file and the line (CSV) or node (GraphML); never a traceback.

Each case once passed silently or said the wrong thing: a self loop was dropped, an unknown
edge kind was replaced by an inferred one, a row with too many fields was read, an unclosed
quote or a ``#`` comment line was "empty source or target", and a GraphML value not of its
declared type was Python's "invalid literal for int()".
"""

from __future__ import annotations

import pytest

from nicsim.nic.graphs import GraphFileError, load_graph
from nicsim.ui import cli

HEADER = "source,target,source_kind,target_kind\n"
ROW = "a,b,district,district\n"


def refused(tmp_path, name: str, text: str, directed: bool = False) -> str:
    """The message load_graph gives for ``text`` saved as ``name``; it names the file."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(GraphFileError) as info:
        load_graph(path, directed)
    message = str(info.value)
    assert message.startswith(f"graph file {path}"), message
    assert "\n" not in message
    return message


def graphml(partnership: str = "1", target: str = "b", edge_kind: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="d0" for="node" attr.name="kind" attr.type="string"/>
  <key id="d1" for="node" attr.name="partnership" attr.type="int"/>
  <key id="d2" for="edge" attr.name="kind" attr.type="string"/>
  <graph edgedefault="undirected">
    <node id="a"><data key="d0">district</data><data key="d1">{partnership}</data></node>
    <node id="b"><data key="d0">district</data></node>
    <edge source="a" target="{target}"><data key="d2">{edge_kind}</data></edge>
  </graph>
</graphml>
"""


# -- 1. self loops -------------------------------------------------------------------------
@pytest.mark.parametrize("directed", [False, True])
def test_a_csv_self_loop_names_the_line(tmp_path, directed):
    message = refused(tmp_path, "g.csv", HEADER + ROW + "A,A,district,district\n", directed)
    assert message.endswith(
        "g.csv, line 3: node 'A' is tied to itself (a self loop): a tie joins two different nodes"
    )


def test_a_graphml_self_loop_names_the_node(tmp_path):
    message = refused(tmp_path, "g.graphml", graphml(target="a"))
    assert message.endswith(
        "g.graphml: node 'a' is tied to itself (a self loop): a tie joins two different nodes"
    )


# -- 2. unknown edge kinds -----------------------------------------------------------------
def test_an_unknown_csv_edge_kind_names_the_line(tmp_path):
    text = "source,target,kind,source_kind,target_kind\na,b,weird,district,district\n"
    message = refused(tmp_path, "g.csv", text)
    assert message.endswith(
        "g.csv, line 2: kind 'weird' is not allowed: expected one of partnership, cross, hub, "
        "or an empty kind to infer it"
    )


def test_an_unknown_graphml_edge_kind_names_the_tie(tmp_path):
    message = refused(tmp_path, "g.graphml", graphml(edge_kind="weird"))
    assert message.endswith(
        "g.graphml: the tie 'a'-'b': kind 'weird' is not allowed: "
        "expected one of partnership, cross, hub, or an empty kind to "
        "infer it"
    )


def test_an_empty_or_capitalised_edge_kind_is_still_read(tmp_path):
    """An empty kind is inferred (README, docs/ODD.md 7.9), and kinds ignore case."""
    path = tmp_path / "g.csv"
    path.write_text(
        "source,target,kind,source_kind,target_kind\n"
        "a,b,,district,district\n"
        "b,c,Partnership,district,district\n"
    )
    g = load_graph(path)
    assert sorted(kind for _, _, kind in g.edges(data="kind")) == ["cross", "partnership"]
    path = tmp_path / "g.graphml"
    path.write_text(graphml())
    assert [kind for _, _, kind in load_graph(path).edges(data="kind")] == ["cross"]


# -- 3. and 4. a row's fields, quotes and comments -----------------------------------------
def test_a_row_with_more_fields_than_the_header_names_the_line_and_counts(tmp_path):
    text = HEADER + ROW + "b,c,district,district\nc,d,district,district,x\n"
    message = refused(tmp_path, "g.csv", text)
    assert message.endswith("g.csv, line 4: 5 fields, the header has 4")


def test_a_row_with_fewer_fields_than_the_header_names_the_line_and_counts(tmp_path):
    message = refused(tmp_path, "g.csv", HEADER + ROW + "b,c,district\n")
    assert message.endswith("g.csv, line 3: 3 fields, the header has 4")


def test_an_unclosed_quote_names_its_line(tmp_path):
    text = HEADER + ROW + 'b,"c,district,district\nc,d,district,district\n'
    message = refused(tmp_path, "g.csv", text)
    assert message.endswith(
        "g.csv, line 3: a quote is not closed (the quoted cell runs to the end of the file)"
    )


def test_a_quote_closed_lines_later_names_the_line_it_opens(tmp_path):
    text = HEADER + ROW + 'b,"c,district,district\nc,d",district,district\n' + ROW
    message = refused(tmp_path, "g.csv", text)
    assert message.endswith("g.csv, line 3: a quote is not closed (the quoted cell runs to line 4)")


def test_an_unclosed_quote_past_the_csv_field_limit_is_one_line(tmp_path):
    """A long file after an unclosed quote overflows the csv module's cell limit (a raw
    csv.Error traceback before)."""
    rows = "".join(f"c{i},d{i},district,district\n" for i in range(10_000))
    message = refused(tmp_path, "g.csv", HEADER + ROW + 'b,"c,district,district\n' + rows)
    assert "g.csv, line 3: a quote is not closed, or a cell is longer than the " in message


def test_a_comment_line_is_refused_naming_the_line(tmp_path):
    """The README documents no comments in a graph file: a ``#`` line is a mistake."""
    text = HEADER + ROW + "# the second partnership\nb,c,district,district\n"
    message = refused(tmp_path, "g.csv", text)
    assert message.endswith(
        "g.csv, line 3: 1 field, the header has 4 (a line starting with # is not a comment "
        "in a graph file: remove it)"
    )


def test_blank_lines_and_windows_line_ends_are_still_read(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(b"source,target,source_kind,target_kind\r\na,b,district,district\r\n\r\n")
    assert load_graph(path).number_of_edges() == 1


# -- 5. GraphML values not of their declared type ------------------------------------------
def test_a_graphml_value_not_of_its_declared_type_names_node_and_key(tmp_path):
    message = refused(tmp_path, "g.graphml", graphml(partnership="abc"))
    assert message.endswith(
        "g.graphml: cannot be read: node 'a': partnership is declared int but is 'abc'"
    )
    assert "invalid literal" not in message


def test_a_gexf_value_not_of_its_declared_type_says_so(tmp_path):
    """GEXF: the value and its type, from networkx's error (no node is looked for)."""
    text = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">\n'
        '  <graph defaultedgetype="undirected" mode="static">\n'
        '    <attributes class="node" mode="static">\n'
        '      <attribute id="0" title="kind" type="string" />\n'
        '      <attribute id="1" title="partnership" type="integer" />\n'
        "    </attributes>\n"
        "    <nodes>\n"
        '      <node id="a" label="a"><attvalues><attvalue for="0" value="district" />'
        '<attvalue for="1" value="abc" /></attvalues></node>\n'
        "    </nodes>\n"
        "    <edges />\n"
        "  </graph>\n"
        "</gexf>\n"
    )
    message = refused(tmp_path, "g.gexf", text)
    assert message.endswith("g.gexf: cannot be read: a value declared int is 'abc'")


# -- the command line: one line, status 2 ------------------------------------------------
def test_the_cli_reports_a_bad_graph_file_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text("steps = 1\nreplications = 1\n")
    (tmp_path / "g.csv").write_text(HEADER + ROW + "c,c,district,district\n")
    argv = ["run", "c.toml", "--set", "design=file", "--set", "graph_file=g.csv"]
    try:
        code = cli.main(argv + ["--out", str(tmp_path / "out")])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.splitlines() == [
        "nicsim: error: graph file g.csv, line 3: node 'c' is tied to itself (a self loop): "
        "a tie joins two different nodes"
    ]
    assert "Traceback" not in err
