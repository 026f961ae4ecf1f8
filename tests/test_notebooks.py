"""The lessons as executed notebooks: converted by jupytext, run by nbclient in an ipykernel."""

import nbformat
import pytest

import lessons
from lessons import notebooks
from lessons.__main__ import main


def outputs(notebook, kind):
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if kind(o)]


@pytest.mark.lesson1
def test_a_lesson_runs_as_a_notebook_with_inline_figures_and_no_errors(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    assert main(["1", "--quick", "--quiet", "--notebooks", str(folder), "--figures", str(tmp_path / "fig")]) == 0
    printed = capsys.readouterr().out
    notebook = nbformat.read(str(folder / lessons.lesson_files()[1].with_suffix(".ipynb").name), as_version=4)
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# Lesson 1")
    assert not outputs(notebook, lambda o: o.output_type == "error")
    assert outputs(notebook, lambda o: "image/png" in o.get("data", {})), "no inline figure"
    verdict_table = notebook.cells[-1].outputs[0]["text"]
    assert "PASS" in verdict_table and "claim" in verdict_table
    # the runner collected the kernel's verdicts: the same claims in its own table
    assert "wide net" in printed and "0 failed" in printed


def test_as_notebook_turns_the_docstring_into_text_and_ends_with_the_verdicts():
    notebook = notebooks.as_notebook(lessons.lesson_files()[0])
    kinds = [c.cell_type for c in notebook.cells]
    assert kinds[0] == "markdown" and "markdown" in kinds[1:] and "code" in kinds
    assert "summary()" in notebook.cells[-1].source


def test_notebooks_into_a_file_is_refused(tmp_path, capsys):
    afile = tmp_path / "file.txt"
    afile.write_text("")
    with pytest.raises(SystemExit):
        main(["1", "--notebooks", str(afile)])
    assert "is a file" in capsys.readouterr().err


def test_missing_packages_give_the_install_command(monkeypatch, capsys):
    monkeypatch.setattr(notebooks, "missing_packages", lambda: ["jupytext"])
    with pytest.raises(SystemExit):
        main(["1", "--notebooks", "somewhere"])
    assert 'pip install -e ".[notebooks]"' in capsys.readouterr().err
