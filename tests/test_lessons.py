"""Every lesson runs in quick mode and every claim it checks must hold.

Run one lesson's test with ``pytest -m lesson3``.
"""

import sys

import pytest

import lessons
from lessons import harness
from lessons.__main__ import main

LESSONS = sorted(lessons.lesson_files())


@pytest.mark.parametrize(
    "number", [pytest.param(n, marks=getattr(pytest.mark, f"lesson{n}")) for n in LESSONS]
)
def test_lesson_claims_hold_in_quick_mode(number, tmp_path):
    record = lessons.run_lesson(number, quick=True, figures=tmp_path, verbose=False)
    failed = [f"{v.claim}: measured {v.measured}, expected {v.expected}" for v in record.verdicts if not v.passed]
    assert record.verdicts, f"lesson {number} recorded no verdicts"
    assert not failed, f"lesson {number} failed claims: {failed}"
    assert record.figures, f"lesson {number} saved no figure"
    for path in record.figures:
        assert path.exists() and path.stat().st_size > 1000


def test_runner_exits_zero_when_claims_hold(tmp_path, capsys):
    assert main(["0", "--quick", "--quiet", "--figures", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "FAIL" not in out


def test_runner_exits_nonzero_when_a_claim_fails(tmp_path, monkeypatch, capsys):
    script = tmp_path / "98_broken.py"
    script.write_text(
        "from lessons.harness import Lesson\n"
        "lesson = Lesson(98, 'a lesson whose claim fails')\n"
        "lesson.check_below('one is below zero', 1.0, 0.0)\n"
    )
    crash = tmp_path / "99_crash.py"
    crash.write_text("from lessons.harness import Lesson\nLesson(99, 'crash')\nraise RuntimeError('boom')\n")
    monkeypatch.setattr(lessons, "lesson_files", lambda: {98: script, 99: crash})
    monkeypatch.setattr(sys.modules["lessons.__main__"], "lesson_files", lambda: {98: script, 99: crash})
    monkeypatch.setattr(harness.SETTINGS, "verbose", False)
    assert main(["--quick", "--quiet", "--figures", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "boom" in out


def test_runner_rejects_an_unknown_lesson(capsys):
    with pytest.raises(SystemExit):
        main(["42"])
    assert "no lesson" in capsys.readouterr().err
