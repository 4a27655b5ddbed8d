"""The Python examples in the docs run as written (issue 18: an example that does not run is
a defect): every ```python block of docs/python.md, and of the README's "Use from Python"
section, is run in order in one namespace, as a reader pasting them into a script would.

The namespace is a script's (``__name__ == "__main__"``), so an example that starts worker
processes under that guard starts them. The working folder is a fresh temporary one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def section(text: str, heading: str) -> str:
    """The text under a ``## heading``, up to the next heading of that level."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def examples(doc: str) -> list[str]:
    text = (ROOT / doc).read_text()
    if doc == "README.md":
        text = section(text, "Use from Python")
    return BLOCK.findall(text)


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["docs/python.md", "README.md"])
def test_python_examples_run_as_written(doc, tmp_path, monkeypatch, capsys):
    blocks = examples(doc)
    assert blocks, f"{doc} has no Python example"
    if any("ema_workbench" in b for b in blocks):
        pytest.importorskip("ema_workbench")
        pytest.importorskip("optuna")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__main__"}
    for i, block in enumerate(blocks, start=1):
        exec(compile(block, f"{doc}, example {i}", "exec"), namespace)
    assert capsys.readouterr().out  # each example shows what it made


SHELL = re.compile(r"^```bash\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def shell_commands(doc: str) -> list[list[str]]:
    """The ``nicsim`` commands of a document's bash blocks, in order, as a shell splits them
    (placeholders such as SWEEP.toml included)."""
    import shlex

    commands = []
    for block in SHELL.findall((ROOT / doc).read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):  # `pip install ... && nicsim run ...`
                words = shlex.split(part, comments=True)
                if words[:1] == ["nicsim"]:
                    commands.append(words[1:])
    return commands


@pytest.mark.parametrize("doc", ["README.md", "docs/CLASSROOM.md", "calibration/README.md"])
def test_documented_commands_parse_and_do_not_collide(doc, monkeypatch):
    """Every documented command parses, and no two of a document's runs or sweeps write
    different experiments into one folder: pasted one after another (the quickstart first)
    the second would be refused ("holds results of a different experiment")."""
    from nicsim.lab.config import load_config, parse_overrides
    from nicsim.lab.plans import replications_plan
    from nicsim.lab.sweeps import load_sweep
    from nicsim.ui.arguments import build_parser
    from nicsim.ui.cli import default_out

    monkeypatch.chdir(ROOT)  # the documents' commands run from the repository's root
    written: dict[Path, tuple[str, str]] = {}
    for words in shell_commands(doc):
        args = build_parser().parse_args(words)
        source = getattr(args, "config", None) or getattr(args, "sweep", None)
        if args.command not in ("run", "sweep") or not Path(source).is_file():
            continue  # other commands write no experiment; a placeholder names no file
        overrides = parse_overrides(args.set)
        if args.command == "run":
            overrides.update(
                {k: getattr(args, k) for k in ("replications", "seed") if getattr(args, k)}
            )
            plan = replications_plan(load_config(source, overrides))
        else:
            plan = load_sweep(source, overrides, args.replications, args.seed)
        out = Path(args.out) if args.out else default_out(plan)
        command = " ".join(["nicsim", *words])
        earlier = written.setdefault(out, (plan.fingerprint(), command))
        assert earlier[0] == plan.fingerprint(), f"{command!r} writes into {out}: {earlier[1]!r}"
