"""The lessons: one script per claim of the lecture, run in order.

    python -m lessons            # every lesson, full size, then a summary table
    python -m lessons 5          # lesson 5 only
    python -m lessons --quick    # small sizes (what the test suite runs)
    python -m lessons --json results.json   # also write every verdict and control to a file

Each lesson lives in ``lessons/NN_name.py`` as a script in ``# %%`` cells.
"""

from __future__ import annotations

# harness first: it sets OPENBLAS_NUM_THREADS=1 before numpy loads (see harness.py).
from . import harness  # noqa: I001

import runpy  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

LESSON_DIR = Path(__file__).parent


def lesson_files() -> dict[int, Path]:
    """{number: path} of every ``NN_name.py`` script in this folder."""
    files = {}
    for path in sorted(LESSON_DIR.glob("[0-9][0-9]_*.py")):
        files[int(path.name[:2])] = path
    return files


def run_lesson(number: int, *, quick: bool | None = None, figures=None, verbose: bool | None = None) -> harness.Lesson:
    """Run lesson ``number`` as a script and return its record (verdicts, figures).

    An exception inside the lesson is caught and recorded as a failed verdict, so
    one broken lesson does not hide the others' results.
    """
    files = lesson_files()
    if number not in files:
        raise ValueError(f"no lesson {number}; the lessons are {sorted(files)}")
    if quick is not None:
        harness.SETTINGS.quick = quick
    if figures is not None:
        harness.SETTINGS.figures = Path(figures)
    if verbose is not None:
        harness.SETTINGS.verbose = verbose
    before = len(harness.collected())
    started = time.perf_counter()
    try:
        runpy.run_path(str(files[number]), run_name="__lesson__")
    except Exception as error:  # report, do not hide, and keep going
        made = harness.collected()[before:]
        record = made[-1] if made else harness.Lesson(number, files[number].stem)
        record.check("the lesson ran to completion", f"{type(error).__name__}: {error}", "no error", False)
        if harness.SETTINGS.verbose:
            traceback.print_exc()
        record.seconds = time.perf_counter() - started
        return record
    made = harness.collected()[before:]
    if not made:
        record = harness.Lesson(number, files[number].stem)
        record.check("the lesson recorded its verdicts", "no Lesson(...) created", "a Lesson", False)
    else:
        record = made[-1]
    record.seconds = time.perf_counter() - started
    return record
