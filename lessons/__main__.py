"""Command line: ``python -m lessons [N ...] [--quick] [--figures DIR] [--json FILE] [--quiet]``.

Prints one table, claim -> measured -> expected -> verdict, with each claim's
controls (wrong variants that must FAIL) under it, and each lesson's wall time.
Exits with status 1 if any claim failed or any control passed.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from . import harness, lesson_files, run_lesson


def _table(lessons: list[harness.Lesson]) -> str:
    rows = [("lesson", "claim", "measured", "expected", "verdict")]
    for lesson in lessons:
        for v in lesson.verdicts:
            rows.append((str(v.lesson), v.claim, v.measured, v.expected, "PASS" if v.passed else "FAIL"))
            for c in v.controls:
                mark = "FAIL" if not c.passed else "PASS <- a control must FAIL"
                rows.append(("", f"  control ({c.what})", c.measured, "", mark))
    claim_width = 60
    wrapped = []
    for row in rows:
        indent = "    " if row[1].startswith("  control") else ""
        claim_lines = textwrap.wrap(row[1], claim_width, subsequent_indent=indent) or [""]
        wrapped.append((row[0], claim_lines[0], row[2], row[3], row[4]))
        wrapped.extend(("", line, "", "", "") for line in claim_lines[1:])
    widths = [max(len(r[i]) for r in wrapped) for i in range(5)]
    lines = []
    for k, row in enumerate(wrapped):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


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

    lessons = []
    for number in numbers:
        lessons.append(run_lesson(number, quick=args.quick, figures=args.figures, verbose=not args.quiet))

    print("\n" + _table(lessons))
    print("\n" + _summary(lessons))
    if args.json is not None:
        print(f"results written to {harness.write_json(lessons, args.json)}")
    sound = all(v.sound for lesson in lessons for v in lesson.verdicts)
    return 0 if sound else 1


if __name__ == "__main__":
    sys.exit(main())
