"""The quickstart notebook runs (issue 18): docs/notebooks/quickstart.ipynb is executed by a
Jupyter kernel of this environment's Python, offline, as a reader would run it.

The notebook is committed with its outputs so that it reads well where it is shown. What
it prints must still be what it prints now, so a change to the model that moves its
numbers shows up here; after such a change, rewrite the outputs with

    python tests/test_notebook.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebooks" / "quickstart.ipynb"
KERNEL = "nicsim-test"
# what the committed notebook names: any Python 3 kernel
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def execute(folder: Path):
    """The notebook, run start to end by a kernel of this Python (a kernel spec of its own
    in ``folder``, so no other installed spec can stand in)."""
    import os

    import nbformat
    from nbclient import NotebookClient

    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(folder)
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = NotebookClient(
            nb,
            timeout=300,
            kernel_name=KERNEL,
            record_timing=False,
            resources={"metadata": {"path": str(folder)}},
        )
        client.execute()
    finally:
        if previous is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = previous
    nb.metadata["kernelspec"] = KERNELSPEC
    return nb


def printed(nb) -> list[str]:
    """What each code cell printed (its stream output)."""
    return [
        "".join(o["text"] for o in cell.get("outputs", []) if o["output_type"] == "stream")
        for cell in nb.cells
        if cell.cell_type == "code"
    ]


@pytest.mark.slow
def test_quickstart_notebook_runs_and_prints_what_is_committed(tmp_path):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    import nbformat

    ran = execute(tmp_path)  # a cell that raises fails here, naming the cell
    figures = [
        o for cell in ran.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert len(figures) == 1
    committed = nbformat.read(NOTEBOOK, as_version=4)
    assert printed(ran) == printed(committed), (
        "the notebook prints other numbers than its committed outputs: rewrite them with "
        "python tests/test_notebook.py --write"
    )


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    import tempfile

    import nbformat

    with tempfile.TemporaryDirectory() as tmp:
        nbformat.write(execute(Path(tmp)), NOTEBOOK)
    print(f"wrote {NOTEBOOK}")
