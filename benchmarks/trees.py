"""The other source tree that `paired.py` and `instructions.py` compare this one with."""

from __future__ import annotations

import argparse
from pathlib import Path

THIS = Path(__file__).resolve().parent.parent  # the source tree these benchmarks belong to


def modules(tree: Path) -> tuple[str, str] | None:
    """The NIC model and parameter modules of ``tree``'s nicsim, relative to the package:
    in ``nicsim/nic/`` since 0.4, at the package's root before (None: not a nicsim tree)."""
    for model, params in (("nic.model", "nic.params"), ("model", "params")):
        if (tree / "nicsim" / (model.replace(".", "/") + ".py")).is_file():
            return model, params
    return None


def source_tree(text: str) -> Path:
    """An argparse type: the root of a nicsim source tree (a checkout or git worktree)."""
    path = Path(text).resolve()
    if modules(path) is None:
        raise argparse.ArgumentTypeError(
            f"{text} has no nicsim/nic/model.py (nor nicsim/model.py): give the root of a "
            "nicsim source tree"
        )
    return path


def comparison_parser(doc: str) -> argparse.ArgumentParser:
    """A parser whose first argument is the other tree, described by ``doc``'s first line."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("other", type=source_tree, help="source tree of the version to compare against")
    return ap
