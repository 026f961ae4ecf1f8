"""Command line: ``python -m lessons [N ...] [--quick] [--figures DIR] [--quiet]``.

Prints one table, claim -> measured -> expected -> verdict, and exits with status 1
if any claim failed.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from . import harness, lesson_files, run_lesson


def _table(lessons: list[harness.Lesson]) -> str:
    rows = [("lesson", "claim", "measured", "expected", "verdict")]
    for lesson in lessons:
        for v in lesson.verdicts:
            rows.append((str(v.lesson), v.claim, v.measured, v.expected, "PASS" if v.passed else "FAIL"))
    claim_width = 60
    wrapped = []
    for row in rows:
        claim_lines = textwrap.wrap(row[1], claim_width) or [""]
        wrapped.append((row[0], claim_lines[0], row[2], row[3], row[4]))
        wrapped.extend(("", line, "", "", "") for line in claim_lines[1:])
    widths = [max(len(r[i]) for r in wrapped) for i in range(5)]
    lines = []
    for k, row in enumerate(wrapped):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons", description=__doc__)
    parser.add_argument("numbers", nargs="*", type=int, help="lessons to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, as in the test suite")
    parser.add_argument("--figures", default=None, help="folder for the PNG figures (default: figures/)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary table")
    args = parser.parse_args(argv)

    available = lesson_files()
    numbers = args.numbers or sorted(available)
    unknown = [n for n in numbers if n not in available]
    if unknown:
        parser.error(f"no lesson {unknown}; the lessons are {sorted(available)}")

    lessons = []
    for number in numbers:
        lessons.append(run_lesson(number, quick=args.quick, figures=args.figures, verbose=not args.quiet))

    print("\n" + _table(lessons))
    total = sum(len(lesson.verdicts) for lesson in lessons)
    failed = sum(not v.passed for lesson in lessons for v in lesson.verdicts)
    seconds = sum(lesson.seconds for lesson in lessons)
    print(f"\n{total - failed} passed, {failed} failed  ({len(lessons)} lessons, {seconds:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
