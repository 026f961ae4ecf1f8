"""Command line: ``python -m lessons [N ...] [--quick] [--figures DIR] [--json FILE] [--notebooks DIR] [--quiet]``.

Prints one table, claim -> measured -> expected -> verdict, with each claim's
controls (wrong variants that must FAIL) under it, and each lesson's wall time.
Exits with status 1 if any claim failed or any control passed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import harness, lesson_files, run_lesson


def _summary(lessons: list[harness.Lesson]) -> str:
    claims = [v for lesson in lessons for v in lesson.verdicts]
    controls = [c for v in claims for c in v.controls]
    failed = sum(not v.passed for v in claims)
    passing_controls = sum(c.passed for c in controls)
    times = ", ".join(f"{lesson.number}: {lesson.seconds:.1f} s" for lesson in lessons)
    seconds = sum(lesson.seconds for lesson in lessons)
    return (
        f"claims: {len(claims) - failed} passed, {failed} failed; "
        f"controls: {len(controls) - passing_controls} failed as they must, {passing_controls} passed\n"
        f"time per lesson: {times}  (total {seconds:.1f} s)"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("numbers", nargs="*", type=int, help="lessons to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, as in the test suite")
    parser.add_argument("--figures", default=None,
                        help="folder for the PNG figures (default: figures/, or figures-quick/ with --quick)")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write every claim, its controls and the lesson times to FILE")
    parser.add_argument("--notebooks", default=None, metavar="DIR",
                        help="run each lesson as a Jupyter notebook and write the executed .ipynb files to DIR "
                             "(needs the notebooks extra)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary table")
    args = parser.parse_args(argv)

    available = lesson_files()
    numbers = args.numbers or sorted(available)
    unknown = [n for n in numbers if n not in available]
    if unknown:
        parser.error(f"no lesson {unknown}; the lessons are {sorted(available)}")
    if args.json is not None:
        folder = Path(args.json).resolve().parent
        if not folder.is_dir():
            parser.error(f"--json {args.json}: the folder {folder} does not exist; create it first")
        if Path(args.json).is_dir():
            parser.error(f"--json {args.json} is a folder; give a file name, e.g. {Path(args.json) / 'results.json'}")

    if args.notebooks is not None:
        from . import notebooks

        missing = notebooks.missing_packages()
        if missing:
            parser.error(f"--notebooks needs {', '.join(missing)}: python -m pip install -e \".[notebooks]\"")
        folder = Path(args.notebooks)
        if folder.exists() and not folder.is_dir():
            parser.error(f"--notebooks {args.notebooks} is a file; give a folder for the .ipynb files")
        folder.mkdir(parents=True, exist_ok=True)

    lessons = []
    for number in numbers:
        if args.notebooks is None:
            lessons.append(run_lesson(number, quick=args.quick, figures=args.figures, verbose=not args.quiet))
            continue
        harness.SETTINGS.quick = args.quick
        if args.figures is not None:
            harness.SETTINGS.figures = Path(args.figures)
        record = notebooks.execute(number, lesson_files()[number], folder, quick=args.quick,
                                   figures=harness.SETTINGS.figure_folder())
        print(f"lesson {number}: notebook {record.figures[0]} ({record.seconds:.1f} s)", flush=True)
        lessons.append(record)

    print("\n" + harness.table(lessons))
    print("\n" + _summary(lessons))
    if args.json is not None:
        print(f"results written to {harness.write_json(lessons, args.json)}")
    sound = all(v.sound for lesson in lessons for v in lesson.verdicts)
    return 0 if sound else 1


if __name__ == "__main__":
    sys.exit(main())
