"""Every lesson runs in quick mode: every claim it checks holds and every control fails.

Run one lesson's test with ``pytest -m lesson3``. The harness itself (controls, the
JSON record, the slope helper) is tested below on lessons made up for the purpose.
"""

import json
import sys

import numpy as np
import pytest

import lessons
from lessons import harness
from lessons.__main__ import main

LESSONS = sorted(lessons.lesson_files())


@pytest.mark.parametrize(
    "number", [pytest.param(n, marks=getattr(pytest.mark, f"lesson{n}")) for n in LESSONS]
)
def test_lesson_claims_hold_and_controls_fail_in_quick_mode(number, tmp_path):
    record = lessons.run_lesson(number, quick=True, figures=tmp_path, verbose=False)
    failed = [f"{v.claim}: measured {v.measured}, expected {v.expected}" for v in record.verdicts if not v.passed]
    passing_controls = [f"{v.claim} / control ({c.what}): measured {c.measured}"
                        for v in record.verdicts for c in v.controls if c.passed]
    assert record.verdicts, f"lesson {number} recorded no verdicts"
    assert not failed, f"lesson {number} failed claims: {failed}"
    assert not passing_controls, f"lesson {number}: controls that pass (the check cannot fail): {passing_controls}"
    if number >= 1:  # lesson 0 is the tour of the engine; every lesson on a claim of the lecture has controls
        controls = sum(len(v.controls) for v in record.verdicts)
        assert controls >= 2, f"lesson {number} has {controls} controls; every lesson needs at least two"
    assert record.figures, f"lesson {number} saved no figure"
    for path in record.figures:
        assert path.exists() and path.stat().st_size > 1000


def test_runner_exits_zero_when_claims_hold(tmp_path, capsys):
    assert main(["0", "--quick", "--quiet", "--figures", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "1 failed" not in out


def made_up_lessons(tmp_path, monkeypatch):
    """Three lessons written for the test: one sound, one whose control passes, one crashing."""
    sound = tmp_path / "97_sound.py"
    sound.write_text(
        "from lessons.harness import Lesson\n"
        "lesson = Lesson(97, 'a sound lesson')\n"
        "lesson.check_below('one is below two', 1.0, 2.0, controls={'three instead of one': 3.0})\n"
        "lesson.check_true('a true thing', True, 'yes', controls={'a false thing': (False, 'no')})\n"
    )
    blind = tmp_path / "98_blind.py"
    blind.write_text(
        "from lessons.harness import Lesson\n"
        "lesson = Lesson(98, 'a lesson whose control passes')\n"
        "lesson.check_below('one is below two', 1.0, 2.0, controls={'zero instead of one': 0.0})\n"
    )
    crash = tmp_path / "99_crash.py"
    crash.write_text("from lessons.harness import Lesson\nLesson(99, 'crash')\nraise RuntimeError('boom')\n")
    files = {97: sound, 98: blind, 99: crash}
    monkeypatch.setattr(lessons, "lesson_files", lambda: files)
    monkeypatch.setattr(sys.modules["lessons.__main__"], "lesson_files", lambda: files)
    monkeypatch.setattr(harness.SETTINGS, "verbose", False)


def test_a_control_that_passes_fails_the_run(tmp_path, monkeypatch, capsys):
    made_up_lessons(tmp_path, monkeypatch)
    assert main(["97", "--quiet", "--figures", str(tmp_path)]) == 0
    assert main(["98", "--quiet", "--figures", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "control (zero instead of one)" in out and "a control must FAIL" in out


def test_runner_exits_nonzero_when_a_lesson_crashes(tmp_path, monkeypatch, capsys):
    made_up_lessons(tmp_path, monkeypatch)
    assert main(["99", "--quiet", "--figures", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "boom" in out


def test_json_lists_claims_controls_and_times(tmp_path, monkeypatch):
    made_up_lessons(tmp_path, monkeypatch)
    path = tmp_path / "results.json"
    assert main(["97", "98", "--quiet", "--figures", str(tmp_path), "--json", str(path)]) == 1
    record = json.loads(path.read_text())
    assert set(record) == {"claims", "seconds"}
    assert set(record["seconds"]) == {"97", "98"}
    first = record["claims"][0]
    assert first == {
        "lesson": 97, "claim": "one is below two", "measured": "1", "expected": "< 2", "verdict": "PASS",
        "control": [{"what": "three instead of one", "measured": "3", "verdict": "FAIL"}],
    }
    assert record["claims"][1]["control"] == [{"what": "a false thing", "measured": "no", "verdict": "FAIL"}]
    assert record["claims"][2]["control"][0]["verdict"] == "PASS"  # lesson 98's blind control


def test_json_into_a_missing_folder_is_refused_before_running(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["0", "--json", str(tmp_path / "no" / "such" / "folder" / "r.json")])
    assert "does not exist" in capsys.readouterr().err


def test_runner_rejects_an_unknown_lesson(capsys):
    with pytest.raises(SystemExit):
        main(["42"])
    assert "no lesson" in capsys.readouterr().err


def test_a_nan_measurement_never_passes():
    lesson = harness.Lesson(96, "nan")
    harness._LESSONS.remove(lesson)
    lesson.check_below("nan is below 1", float("nan"), 1.0)
    lesson.check_above("nan is above 1", float("nan"), 1.0)
    lesson.check_between("nan is inside", float("nan"), 0.0, 1.0)
    lesson.check_below("1 is below 2", 1.0, 2.0, controls={"nan instead": float("nan")})
    assert [v.passed for v in lesson.verdicts] == [False, False, False, True]
    assert not lesson.verdicts[-1].controls[0].passed


def test_quick_figures_go_to_their_own_folder(monkeypatch):
    monkeypatch.setattr(harness.SETTINGS, "figures", None)
    monkeypatch.setattr(harness.SETTINGS, "quick", True)
    assert harness.SETTINGS.figure_folder().name == "figures-quick"
    monkeypatch.setattr(harness.SETTINGS, "quick", False)
    assert harness.SETTINGS.figure_folder().name == "figures"


@pytest.mark.parametrize("exponent", [-1.0, -0.5, -0.25, 0.0, 0.75, 2.0])
def test_loglog_slope_recovers_known_exponents(exponent):
    m = np.array([10.0, 30.0, 100.0, 1000.0, 10000.0])
    assert harness.loglog_slope(m, 3.7 * m**exponent) == pytest.approx(exponent, abs=1e-12)
    # with multiplicative noise of +-1 %, the slope moves by less than 0.01
    noise = 1 + 0.01 * np.array([1, -1, 1, -1, 1])
    assert abs(harness.loglog_slope(m, 3.7 * m**exponent * noise) - exponent) < 0.01


def test_loglog_slope_refuses_bad_input():
    with pytest.raises(ValueError, match="positive and finite"):
        harness.loglog_slope([1, 2, 3], [1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="positive and finite"):
        harness.loglog_slope([1, 2, 3], [1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="two distinct"):
        harness.loglog_slope([2, 2], [1.0, 3.0])
    with pytest.raises(ValueError, match="one length"):
        harness.loglog_slope([1, 2, 3], [1.0, 2.0])
