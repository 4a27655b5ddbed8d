"""A NIC graph: its kinds of node and tie, and a user's graph file read, checked, written
and sized (:func:`graph_size`, cheaply: the budget asks before a run reads it).

A graph's integer nodes are numbered districts first (0 .. D-1), then universities, then
hubs. Nodes carry ``kind`` (district, university, hub), ``partnership`` and ``label``;
edges carry ``kind`` (partnership, cross, hub). A file's mistakes are a
:class:`GraphFileError` naming the file and the line or node (docs/ODD.md section 7.9).
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
from pathlib import Path
from stat import S_ISREG

import networkx as nx

from ..core.files import decode_text, read_file_bytes
from ..core.params import ConfigError
from .params import Params

NODE_KINDS = ("district", "university", "hub")
EDGE_KINDS = ("partnership", "cross", "hub")


class GraphFileError(ConfigError):
    """A user's graph file cannot be used; the message names the file and the line or node."""


def nodes_of(g: nx.Graph, kind: str) -> list[int]:
    return sorted(v for v, d in g.nodes(data=True) if d["kind"] == kind)


def district_nodes(g: nx.Graph) -> list[int]:
    return nodes_of(g, "district")


GRAPH_FILE = "a GraphML, GEXF or CSV file"


def read_graph_file(path: str | Path) -> bytes:
    """The bytes of a user's graph file, or a GraphFileError naming it (missing, a folder,
    a device such as /dev/zero, which would never end, or empty)."""
    return read_file_bytes(path, GRAPH_FILE, f"graph file {path}", GraphFileError)


def load_graph(path: str | Path, directed: bool = False) -> nx.Graph:
    """Read a user's network (GraphML, GEXF or CSV edge list) and normalise it.

    Node kinds come from a ``kind`` attribute (GraphML/GEXF) or ``source_kind`` and
    ``target_kind`` columns (CSV). Anything missing or unknown is a :class:`GraphFileError`.
    ``directed`` (``directed_graph = true``) reads each tie one way, source -> target (a
    :class:`networkx.DiGraph`): the source sees the target. A CSV row or a directed
    GraphML/GEXF edge is one such tie; an undirected GraphML/GEXF edge counts both ways.
    """
    path = Path(path)
    data = read_graph_file(path)
    suffix = path.suffix.lower()
    kind = nx.DiGraph if directed else nx.Graph
    if suffix == ".csv":
        text = decode_text(data, GRAPH_FILE, f"graph file {path}", GraphFileError)
        raw = _read_csv(path, text, kind())
    elif suffix in (".graphml", ".xml", ".gexf"):
        reader = nx.read_gexf if suffix == ".gexf" else nx.read_graphml
        try:
            raw = kind(reader(io.BytesIO(data)))
        except Exception as exc:  # networkx raises many types on malformed XML
            raise GraphFileError(
                f"graph file {path}: cannot be read{_unreadable(exc, data, suffix)}"
            ) from None
        _check_ties(raw, path)
    else:
        raise GraphFileError(
            f"graph file {path}: unknown format {suffix!r}: expected .graphml, .gexf or .csv"
        )
    return normalise(raw, str(path), directed)


def named_graph(p: Params) -> nx.Graph | None:
    """The network in the parameters' ``graph_file`` whatever the design, or None if none is
    named: the page offers the "file" design whenever a config names a file, so it reads
    the file when it opens (and ``nicsim app`` checks it before serving)."""
    return load_graph(p.graph_file, p.directed_graph) if p.graph_file else None


def _separator_hint(text: str) -> str:
    """Why a header may lack its columns: spreadsheets set to a European locale save "CSV"
    with semicolons, and some tools save tabs."""
    header = text.split("\n", 1)[0]
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if separator in header and "," not in header:
            return f" (this header is separated by {name}: save the file with commas)"
    return ""


def _edge_kind_problem(kind: str) -> str | None:
    """Why an edge's ``kind`` is refused, or None: empty (infer it) or one of EDGE_KINDS."""
    if kind and kind.lower() not in EDGE_KINDS:
        return (
            f"kind {kind!r} is not allowed: expected one of {', '.join(EDGE_KINDS)}, "
            "or an empty kind to infer it"
        )
    return None


def _self_loop(node) -> str:
    return f"node {node!r} is tied to itself (a self loop): a tie joins two different nodes"


def _check_ties(raw: nx.Graph, path: Path) -> None:
    """A GraphML/GEXF file's ties: no self loop, and an edge ``kind`` that is empty or one of
    EDGE_KINDS (a CSV's are checked line by line as it is read)."""
    for node, _ in nx.selfloop_edges(raw):
        raise GraphFileError(f"graph file {path}: {_self_loop(node)}")
    for a, b, data in raw.edges(data=True):
        problem = _edge_kind_problem(str(data.get("kind", "")).strip())
        if problem:
            raise GraphFileError(f"graph file {path}: the tie {a!r}-{b!r}: {problem}")


GRAPHML_TYPES = {  # how networkx converts a GraphML <data> text of each attr.type
    "int": int,
    "long": int,
    "float": float,
    "double": float,
    "boolean": lambda text: {"true": True, "false": False, "0": False, "1": True}[text.lower()],
    "string": str,
}


def _unreadable(exc: Exception, data: bytes, suffix: str) -> str:
    """Why networkx could not read a GraphML/GEXF file, said for its user: a value that is not
    of its declared type names the node or edge and the attribute where it can be found,
    rather than Python's "invalid literal for int()" alone."""
    text = str(exc)
    for prefix, declared in (
        ("invalid literal for int() with base 10: ", "int"),
        ("could not convert string to float: ", "float or double"),
    ):
        if isinstance(exc, ValueError) and text.startswith(prefix):
            where = _bad_graphml_value(data) if suffix != ".gexf" else None
            return f": {where or f'a value declared {declared} is {text[len(prefix) :]}'}"
    if isinstance(exc, KeyError) and suffix != ".gexf":
        where = _bad_graphml_value(data)
        if where:
            return f": {where}"
    return f" ({exc})"


def _bad_graphml_value(data: bytes) -> str | None:
    """The first GraphML ``<data>`` whose text its key's ``attr.type`` refuses (or whose key
    has a type GraphML does not define), said as "node 'a': weight is declared int but is
    'abc'"; None if there is none. networkx has read the XML already: this only names the
    place its error came from."""
    from xml.etree import ElementTree

    def local(tag) -> str:
        return str(tag).rsplit("}", 1)[-1]

    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None
    keys = {k.get("id"): k for k in root.iter() if local(k.tag) == "key"}
    for owner in root.iter():
        kind = local(owner.tag)
        if kind not in ("node", "edge", "graph"):
            continue
        for item in owner:
            key = keys.get(item.get("key")) if local(item.tag) == "data" else None
            if key is None or not (item.text or "").strip():
                continue
            name, declared = key.get("attr.name", key.get("id")), key.get("attr.type", "string")
            if kind == "node":
                place = f"node {owner.get('id')!r}"
            elif kind == "edge":
                place = f"the tie {owner.get('source')!r}-{owner.get('target')!r}"
            else:
                place = "the graph"
            if declared not in GRAPHML_TYPES:
                return (
                    f"{place}: {name} is declared {declared!r}, not a GraphML type: expected "
                    f"one of boolean, int, long, float, double, string"
                )
            try:
                GRAPHML_TYPES[declared](item.text)
            except (ValueError, KeyError):
                return f"{place}: {name} is declared {declared} but is {item.text!r}"
    return None


def _fields(n: int) -> str:
    return f"{n} field" if n == 1 else f"{n} fields"


def _read_csv(path: Path, text: str, g: nx.Graph) -> nx.Graph:
    """The CSV edge list ``text`` added to the empty graph ``g`` (a DiGraph: one-way ties).

    Every line after the header is a tie with as many fields as the header (a blank line is
    skipped); a mistake is a GraphFileError naming the line."""
    where = f"graph file {path}"
    with io.StringIO(text, newline="") as fh:
        reader = csv.reader(fh)
        line = 0  # the last line read
        try:
            cols = next(reader, [])
            missing = [c for c in ("source", "target") if c not in cols]
            if missing:
                raise GraphFileError(
                    f"{where}, line 1: missing column(s) {', '.join(missing)}: expected a "
                    f"header with source,target and source_kind,target_kind"
                    f"{_separator_hint(text)}"
                )
            line = reader.line_num
            for fields in reader:
                first, line = line + 1, reader.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # a blank line
                if any("\n" in f or "\r" in f for f in fields):
                    runs = "to the end of the file" if fh.tell() >= len(text) else f"to line {line}"
                    raise GraphFileError(
                        f"{where}, line {first}: a quote is not closed (the quoted cell runs "
                        f"{runs})"
                    )
                if len(fields) != len(cols):
                    comment = (
                        " (a line starting with # is not a comment in a graph file: remove it)"
                        if fields[0].lstrip().startswith("#")
                        else ""
                    )
                    raise GraphFileError(
                        f"{where}, line {line}: {_fields(len(fields))}, the header has "
                        f"{len(cols)}{comment}"
                    )
                _add_row(g, dict(zip(cols, fields, strict=True)), f"{where}, line {line}")
        except csv.Error as exc:  # a cell longer than the csv module's limit, say
            problem = (
                f"a quote is not closed, or a cell is longer than the {csv.field_size_limit()} "
                "characters allowed"
                if "field limit" in str(exc)
                else str(exc)
            )
            raise GraphFileError(f"{where}, line {line + 1}: {problem}") from None
    if g.number_of_nodes() == 0:
        raise GraphFileError(f"{where}: no edges")
    return g


def _add_row(g: nx.Graph, row: dict[str, str], where: str) -> None:
    """One CSV row's tie and its two nodes added to ``g``; ``where`` names the file and line."""
    s, t = row["source"].strip(), row["target"].strip()
    if not s or not t:
        raise GraphFileError(f"{where}: empty source or target")
    if s == t:
        raise GraphFileError(f"{where}: {_self_loop(s)}")
    edge_kind = (row.get("kind") or "").strip()
    problem = _edge_kind_problem(edge_kind)
    if problem:
        raise GraphFileError(f"{where}: {problem}")
    for node, end in ((s, "source"), (t, "target")):
        attrs = {}
        for attr in ("kind", "partnership"):
            value = (row.get(f"{end}_{attr}") or "").strip()
            if value:
                attrs[attr] = value
        old = g.nodes[node] if node in g else {}
        for attr, value in attrs.items():
            if attr in old and old[attr] != value:
                raise GraphFileError(
                    f"{where}: node {node!r} is given {attr} {value!r} here but "
                    f"{old[attr]!r} earlier"
                )
        g.add_node(node, **attrs)
    g.add_edge(s, t, **({"kind": edge_kind} if edge_kind else {}))


def normalise(raw: nx.Graph, name: str = "graph", directed: bool = False) -> nx.Graph:
    """Renumber a user's graph (districts, universities, hubs) and fill in missing attributes.

    ``directed`` keeps each tie one way (a DiGraph; an undirected input counts both ways),
    which only a graph of districts may be: a university's partnership and a hub's
    convenings are two-way (docs/ODD.md, section 7.9)."""
    graph_type = nx.DiGraph if directed else nx.Graph
    raw = graph_type(raw)
    raw.remove_edges_from(nx.selfloop_edges(raw))
    for node, data in raw.nodes(data=True):
        kind = data.get("kind")
        if kind is None or str(kind).strip() == "":
            raise GraphFileError(
                f"graph file {name}: node {node!r} has no kind: expected one "
                f"of {', '.join(NODE_KINDS)}"
            )
        if str(kind).strip().lower() not in NODE_KINDS:
            raise GraphFileError(
                f"graph file {name}: node {node!r} has unknown kind {kind!r}: "
                f"expected one of {', '.join(NODE_KINDS)}"
            )
    order = {k: i for i, k in enumerate(NODE_KINDS)}
    nodes = sorted(
        raw.nodes, key=lambda v: (order[str(raw.nodes[v]["kind"]).strip().lower()], _natural(v))
    )
    index = {v: i for i, v in enumerate(nodes)}
    g = graph_type()
    partnership_ids: dict[str, int] = {}
    for v in nodes:
        data = raw.nodes[v]
        kind = str(data["kind"]).strip().lower()
        part = data.get("partnership")
        if kind == "hub":
            pid = -1
        elif part is None or str(part).strip() == "":
            pid = None
        else:
            pid = partnership_ids.setdefault(str(part).strip(), len(partnership_ids))
        g.add_node(index[v], kind=kind, partnership=pid, label=str(data.get("label", v)))
    districts = len(district_nodes(g))
    if not districts:
        raise GraphFileError(f"graph file {name}: no node of kind district")
    if directed and districts < len(nodes):  # nodes: districts first
        raise GraphFileError(
            f"graph file {name}: node {nodes[districts]!r} has kind "
            f"{g.nodes[districts]['kind']}: a graph read as directed (directed_graph = true) "
            "holds districts only"
        )
    for a, b, data in raw.edges(data=True):
        g.add_edge(index[a], index[b], **({"kind": data["kind"]} if "kind" in data else {}))
    _infer_partnerships(g)
    for a, b, data in g.edges(data=True):
        kind = str(data.get("kind", "")).strip().lower()
        if kind not in EDGE_KINDS:
            kinds = {g.nodes[a]["kind"], g.nodes[b]["kind"]}
            same = g.nodes[a]["partnership"] == g.nodes[b]["partnership"]
            kind = "hub" if "hub" in kinds else ("partnership" if same else "cross")
        data["kind"] = kind
    return g


def _natural(v) -> tuple:
    s = str(v)
    return (0, int(s), s) if s.lstrip("-").isdigit() else (1, 0, s)


def _infer_partnerships(g: nx.Graph) -> None:
    """Universities without a partnership get their own; districts join a partner university."""
    used = {d["partnership"] for _, d in g.nodes(data=True) if d["partnership"] is not None}
    fresh = itertools.count(max(used, default=-1) + 1)
    for v in sorted(g.nodes):
        if g.nodes[v]["kind"] == "university" and g.nodes[v]["partnership"] is None:
            g.nodes[v]["partnership"] = next(fresh)
    for v in district_nodes(g):
        if g.nodes[v]["partnership"] is None:
            unis = sorted(u for u in g[v] if g.nodes[u]["kind"] == "university")
            g.nodes[v]["partnership"] = g.nodes[unis[0]]["partnership"] if unis else next(fresh)


def write_graph(g: nx.Graph, path: str | Path) -> None:
    """Write a design to GraphML, GEXF or CSV so a user can edit it and load it back."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if nx.number_of_isolates(g):
            raise GraphFileError(
                f"graph file {path}: a CSV edge list cannot hold nodes "
                "without ties; write .graphml or .gexf instead"
            )
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(
                [
                    "source",
                    "target",
                    "kind",
                    "source_kind",
                    "target_kind",
                    "source_partnership",
                    "target_partnership",
                ]
            )
            for a, b, data in g.edges(data=True):
                na, nb = g.nodes[a], g.nodes[b]
                w.writerow(
                    [
                        a,
                        b,
                        data["kind"],
                        na["kind"],
                        nb["kind"],
                        na["partnership"],
                        nb["partnership"],
                    ]
                )
    elif suffix == ".gexf":
        nx.write_gexf(g, path)
    else:
        nx.write_graphml(g, path)


# -- a graph file's size, without reading it as a graph (for the budget) ------------------
NODE_NAMES = 100_000  # names kept while counting a graph file's nodes (a few MB at most)


@functools.lru_cache(maxsize=16)
def _count(path: str, size: int, mtime: int, token: bytes) -> int:
    """Occurrences of ``token`` in the file, read a megabyte at a time."""
    count, tail = 0, b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            block = tail + chunk
            count += block.count(token)
            tail = block[-(len(token) - 1) :] if len(token) > 1 else b""
    return count


@functools.lru_cache(maxsize=16)
def _csv_nodes(path: str, size: int, mtime: int) -> int:
    """Distinct names in a CSV's source and target columns; 0 when there are more than
    ``NODE_NAMES`` or the file is not such a CSV (reading it later says why)."""
    names: set[str] = set()
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                names.update(((row.get("source") or "").strip(), (row.get("target") or "").strip()))
                if len(names) > NODE_NAMES:
                    return 0
    except (UnicodeDecodeError, csv.Error, AttributeError):
        return 0
    names.discard("")
    return len(names)


def graph_size(path: str) -> tuple[int, int]:
    """Nodes and ties in a graph file, in a few megabytes of memory whatever its size. Ties
    are counted without parsing: a CSV's lines less the header, or the ``<edge`` elements
    of GraphML and GEXF. Nodes are the distinct names of a CSV's source and target columns
    or the ``<node`` elements; where there are more than ``NODE_NAMES`` names, the nodes are
    taken to be as many as the ties (an upper bound for a connected graph). (0, 0) when the
    file cannot be read or is no regular file, which could be endless like ``/dev/zero``
    (reading it later says why)."""
    try:
        stat = Path(path).stat()
        if not S_ISREG(stat.st_mode):
            return 0, 0
        key = (path, stat.st_size, stat.st_mtime_ns)
        if path.lower().endswith(".csv"):
            ties = max(_count(*key, b"\n") - 1, 0)
            nodes = _csv_nodes(*key) if ties <= NODE_NAMES else 0
        else:
            ties, nodes = _count(*key, b"<edge"), _count(*key, b"<node ")
        return nodes or ties, ties
    except (OSError, ValueError):
        return 0, 0
