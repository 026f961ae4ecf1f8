"""What every lesson shares: run settings, verdicts with their controls, figures.

A lesson is a plain script in ``# %%`` cells. It starts with
``lesson = Lesson(5, "Transition to linearity")`` and records each claim with one
of the ``check`` methods, always passing numbers computed earlier in that same
run, never typed-in results. The runner (``python -m lessons``) collects the
verdicts of every lesson into one table (and, with ``--json``, a file).

Every verdict must be able to fail. So beside a claim a lesson passes
``controls``: the same measurement made on a plausible *wrong* variant (a
Gauss-Newton HVP instead of the exact one, ridge instead of minimum norm, a
narrow net where the claim is about width, ...). The same test is applied to
each control, and each control must FAIL it::

    lesson.check_below("||H_f|| sqrt(m) / beta stays below 1", ratio, 1.0,
                       controls={"no 1/sqrt(m) in the output layer": ratio_unscaled})

A control that passes means the check cannot tell right from wrong: the run then
fails, exactly as if the claim had failed.

Settings (quick mode, the figures folder) come from the runner, or from the
environment when a lesson file is run on its own or cell by cell in an editor:
``MINIGRAD_QUICK=1`` and ``MINIGRAD_FIGURES=some/folder``. Quick runs write their
figures to ``figures-quick/`` so they never overwrite the full-size ones in
``figures/``.
"""

from __future__ import annotations

import os

# Before numpy loads (lessons import this module first): one OpenBLAS thread, the
# same setting the runner and the tests use. The numba kernels already use both
# cores, and two spin-waiting thread pools on 2 cores slow each other down (lesson 5
# --quick on a busy 2-core machine: 46 s with both pools, 3 s with one). Set the
# variable yourself to override.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import textwrap  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402


def in_notebook() -> bool:
    """True inside a Jupyter kernel or an IPython shell (figures are then shown inline)."""
    return "ipykernel" in sys.modules or "IPython" in sys.modules and _ipython_running()


def _ipython_running() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


if not in_notebook():
    # Scripts and the runner write figures to files; no screen is needed. Inside
    # Jupyter the notebook's own (inline) backend stays, so figures show in place.
    matplotlib.use("Agg")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


@dataclass
class Settings:
    """How lessons run: ``quick`` shrinks sizes for the test suite; where figures go."""

    quick: bool = _env_flag("MINIGRAD_QUICK")
    figures: Path | None = Path(os.environ["MINIGRAD_FIGURES"]) if os.environ.get("MINIGRAD_FIGURES") else None
    verbose: bool = True

    def figure_folder(self) -> Path:
        """The folder asked for, else ``figures/`` (full size) or ``figures-quick/`` (quick)."""
        if self.figures is not None:
            return Path(self.figures)
        return Path("figures-quick" if self.quick else "figures")


SETTINGS = Settings()


def _format(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number == 0.0:
        return "0"
    if not np.isfinite(number):
        return str(number)
    if abs(number) >= 1e4 or abs(number) < 1e-3:
        return f"{number:.3g}"
    return f"{number:.4g}"


@dataclass
class Control:
    """A plausible wrong variant, measured the way the claim is; its verdict must be FAIL."""

    what: str
    measured: str
    passed: bool  # the claim's own test applied to the control's measurement


@dataclass
class Verdict:
    """One claim of the lecture, what this run measured, whether it held, and its controls."""

    lesson: int
    claim: str
    measured: str
    expected: str
    passed: bool
    controls: list[Control] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        """The claim held and every control failed: the verdict both holds and could fail."""
        return self.passed and not any(c.passed for c in self.controls)

    def as_dict(self) -> dict:
        return {
            "lesson": self.lesson,
            "claim": self.claim,
            "measured": self.measured,
            "expected": self.expected,
            "verdict": "PASS" if self.passed else "FAIL",
            "control": [
                {"what": c.what, "measured": c.measured, "verdict": "PASS" if c.passed else "FAIL"}
                for c in self.controls
            ],
        }


def loglog_slope(x, y) -> float:
    """The least-squares slope b of log y = a + b log x: the exponent of a power law y ~ x^b.

    x, y: positive, finite, same length (>= 2 points, at least two distinct x).
    Both logarithms are natural ones; the slope does not depend on the base as long
    as it is the same on both axes (mixing bases multiplies it by a constant).
    """
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"loglog_slope: x and y must have one length, got {x.size} and {y.size}")
    if x.size < 2 or np.unique(x).size < 2:
        raise ValueError(f"loglog_slope: need at least two distinct x values, got {x.size} points")
    bad = ~(np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0))
    if bad.any():
        raise ValueError(
            f"loglog_slope: x and y must be positive and finite; {int(bad.sum())} of {x.size} points are not "
            f"(first: x = {x[bad][0]}, y = {y[bad][0]})"
        )
    lx, ly = np.log(x), np.log(y)
    lx_c = lx - lx.mean()
    return float(lx_c @ (ly - ly.mean()) / (lx_c @ lx_c))


_PROGRESS_SECONDS = 5.0  # a long loop prints a progress line at most this often


@dataclass
class Lesson:
    """The record of one lesson's run: its verdicts and the figures it saved."""

    number: int
    title: str
    verdicts: list[Verdict] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    seconds: float = 0.0  # wall-clock time of the run, set by the runner
    _last_output: float = field(default_factory=time.perf_counter, repr=False)

    def __post_init__(self):
        _LESSONS.append(self)
        self.say(f"\n=== Lesson {self.number}: {self.title}" + (" (quick)" if self.quick else "") + " ===")

    # -- settings ---------------------------------------------------------
    @property
    def quick(self) -> bool:
        return SETTINGS.quick

    def size(self, full, quick):
        """Pick a size: ``full`` in a normal run, ``quick`` in quick mode.

        Quick mode (``python -m lessons --quick``, what the test suite runs) shrinks
        widths, sample counts and repetitions so every lesson finishes in seconds; the
        claims it checks are the same, on smaller problems.
        """
        return quick if SETTINGS.quick else full

    def say(self, text: str) -> None:
        """Print a line of commentary (silenced when the runner asks for quiet)."""
        if SETTINGS.verbose:
            print(text, flush=True)
        self._last_output = time.perf_counter()

    def progress(self, text: str) -> None:
        """Inside a long loop: print ``text`` if nothing was printed for a few seconds."""
        if time.perf_counter() - self._last_output >= _PROGRESS_SECONDS:
            self.say(f"  ... {text}")

    # -- verdicts ---------------------------------------------------------
    def check(self, claim: str, measured, expected: str, passed, controls=()) -> None:
        """Record a claim with the number measured in this run and the verdict.

        ``passed`` must be computed from ``measured`` (e.g. ``slope < -0.4``);
        prefer the helpers below, which compute it for you. ``controls`` is a list of
        ``(what, measured, passed)``: the wrong variants, judged by the same test.
        Returns nothing (so a notebook cell ending in a check shows no stray ``Out``):
        the verdict is in ``self.verdicts`` and printed.
        """
        verdict = Verdict(
            self.number, claim, _format(measured), expected, bool(passed),
            [Control(what, _format(value), bool(ok)) for what, value, ok in controls],
        )
        self.verdicts.append(verdict)
        mark = "PASS" if verdict.passed else "FAIL"
        self.say(f"  [{mark}] {claim}: measured {verdict.measured}, expected {expected}")
        for c in verdict.controls:
            note = "as it must" if not c.passed else "BUT IT MUST FAIL: this check cannot tell right from wrong"
            self.say(f"      control ({c.what}): measured {c.measured} -> {'PASS' if c.passed else 'FAIL'}, {note}")

    def _judged(self, claim, measured, expected, test, controls) -> None:
        controls = dict(controls or {})
        self.check(
            claim, measured, expected, test(measured),
            [(what, value, test(value)) for what, value in controls.items()],
        )

    def check_below(self, claim: str, measured: float, bound: float, *, controls=None) -> None:
        """Claim: measured < bound. ``controls``: {what: measured value of a wrong variant}."""
        self._judged(claim, measured, f"< {_format(bound)}", lambda m: _finite(m) and float(m) < bound, controls)

    def check_above(self, claim: str, measured: float, bound: float, *, controls=None) -> None:
        """Claim: measured > bound. ``controls``: {what: measured value of a wrong variant}."""
        self._judged(claim, measured, f"> {_format(bound)}", lambda m: _finite(m) and float(m) > bound, controls)

    def check_between(self, claim: str, measured: float, low: float, high: float, *, controls=None) -> None:
        """Claim: low <= measured <= high. ``controls``: {what: measured value of a wrong variant}."""
        self._judged(claim, measured, f"in [{_format(low)}, {_format(high)}]",
                            lambda m: _finite(m) and low <= float(m) <= high, controls)

    def check_true(self, claim: str, condition, measured: str, *, controls=None) -> None:
        """Claim: a computed condition holds; ``measured`` says what was seen.

        ``controls``: {what: (condition, measured)} computed the same way on wrong variants.
        """
        controls = dict(controls or {})
        self.check(claim, measured, "true", bool(condition),
                          [(what, seen, bool(cond)) for what, (cond, seen) in controls.items()])

    # -- figures ----------------------------------------------------------
    def save_figure(self, fig, name: str) -> None:
        """Save a matplotlib figure as ``lessonN_name.png`` in the figures folder.

        In a script the figure is then closed (memory); in a notebook it is left open
        so that it shows inline under the cell.
        """
        folder = SETTINGS.figure_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"lesson{self.number}_{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        if not in_notebook():
            import matplotlib.pyplot as plt

            plt.close(fig)
        self.figures.append(path)
        self.say(f"  figure: {path}")

    @property
    def passed(self) -> bool:
        """Every claim held and every control failed."""
        return bool(self.verdicts) and all(v.sound for v in self.verdicts)


def _finite(value) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


_LESSONS: list[Lesson] = []


def collected() -> list[Lesson]:
    """Every Lesson created so far in this process."""
    return list(_LESSONS)


def results(lessons: list[Lesson]) -> dict:
    """The machine-readable record of a run: every claim with its controls, and the times."""
    return {
        "claims": [v.as_dict() for lesson in lessons for v in lesson.verdicts],
        "seconds": {str(lesson.number): round(lesson.seconds, 3) for lesson in lessons},
    }


def write_json(lessons: list[Lesson], path) -> Path:
    """Write :func:`results` to ``path`` (its folder must exist)."""
    path = Path(path)
    path.write_text(json.dumps(results(lessons), indent=2) + "\n")
    return path


def table(lessons: list[Lesson]) -> str:
    """The verdict table: claim, measured, expected, verdict, with each control under its claim."""
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


def summary() -> None:
    """Print the verdict table of the lessons run in this process (a notebook's last cell).

    If the environment variable MINIGRAD_RESULTS names a file, the record is also
    written there as JSON: that is how ``python -m lessons --notebooks`` collects the
    verdicts of a lesson executed in a Jupyter kernel.
    """
    lessons = collected()
    print(table(lessons))
    if os.environ.get("MINIGRAD_RESULTS"):
        write_json(lessons, os.environ["MINIGRAD_RESULTS"])
