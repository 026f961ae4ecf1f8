"""Executed notebooks from the lesson scripts: ``python -m lessons [N ...] --notebooks DIR``.

A lesson is a ``# %%`` script; jupytext reads it as a notebook (``# %% [markdown]``
cells become text, the others code), nbclient runs it cell by cell in a Jupyter
kernel (ipykernel), and the result, with its printed verdicts and inline figures,
is written to ``DIR/NN_name.ipynb``. Two touches make it read well: the module
docstring becomes the opening text cell, and a last cell prints the lesson's verdict
table (``lessons.harness.summary``), which is also how the runner collects the
verdicts from the kernel.

Needs the optional packages jupytext, nbclient and ipykernel:
``python -m pip install -e ".[notebooks]"`` (the dev extra has them too).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from . import harness

NEEDED = ("jupytext", "nbclient", "ipykernel")


def missing_packages() -> list[str]:
    """The packages this module needs that are not installed."""
    import importlib.util

    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def as_notebook(script: Path):
    """The lesson script as an (unexecuted) nbformat notebook, docstring as text, verdicts last."""
    import jupytext
    import nbformat

    notebook = jupytext.read(str(script), fmt="py:percent")
    first = notebook.cells[0] if notebook.cells else None
    if first is not None and first.cell_type == "code" and first.source.strip().startswith('"""'):
        text = first.source.strip().strip('"').strip()
        title, _, rest = text.partition("\n")
        notebook.cells[0] = nbformat.v4.new_markdown_cell(f"# {title}\n\n```text\n{rest.strip()}\n```")
    notebook.cells.append(nbformat.v4.new_markdown_cell(
        "## Verdicts\nEvery claim checked in this run, what was measured, and its controls: "
        "plausible wrong variants measured the same way, each of which must FAIL."))
    notebook.cells.append(nbformat.v4.new_code_cell("from lessons.harness import summary\n\nsummary()"))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def _kernel_manager():
    """A kernel manager that starts ipykernel with *this* Python (not whatever ``python`` is on PATH)."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3", language="python")

    return KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())


@contextlib.contextmanager
def _environment(**values):
    """Set environment variables for the kernel (it inherits them), and restore them after."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update({name: value for name, value in values.items() if value is not None})
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(number: int, script: Path, folder: Path, *, quick: bool, figures: Path) -> harness.Lesson:
    """Run one lesson as a notebook in a kernel; write ``folder/<script stem>.ipynb``; return its record.

    The record's verdicts come from the kernel (via MINIGRAD_RESULTS); an error in a cell
    is recorded as a failed verdict and the notebook is written anyway, error included.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = as_notebook(script)
    output = folder / f"{script.stem}.ipynb"
    record = harness.Lesson.__new__(harness.Lesson)  # filled from the kernel's results: not run, not announced here
    record.number, record.title, record.verdicts, record.figures = number, script.stem, [], []
    record.seconds, record._last_output = 0.0, time.perf_counter()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results.json"
        environment = {
            "MINIGRAD_QUICK": "1" if quick else "0",
            "MINIGRAD_FIGURES": str(figures.resolve()),
            "MINIGRAD_RESULTS": str(results),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1"),
        }
        client = NotebookClient(notebook, km=_kernel_manager(), timeout=900,
                                resources={"metadata": {"path": str(Path.cwd())}})
        try:
            with _environment(**environment):
                client.execute()
        except CellExecutionError as error:
            first_line = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            record.verdicts.append(harness.Verdict(number, "the notebook ran to completion", first_line,
                                                   "no error", False))
        finally:
            if client.km is not None and client.km.has_kernel:
                client.km.shutdown_kernel(now=True)  # we own this kernel manager, so we stop its kernel
        if results.exists():
            for claim in json.loads(results.read_text())["claims"]:
                record.verdicts.append(harness.Verdict(
                    claim["lesson"], claim["claim"], claim["measured"], claim["expected"], claim["verdict"] == "PASS",
                    [harness.Control(c["what"], c["measured"], c["verdict"] == "PASS") for c in claim["control"]],
                ))
    nbformat.write(notebook, str(output))
    record.figures = [output]
    record.seconds = time.perf_counter() - started
    return record
