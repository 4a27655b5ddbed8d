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
