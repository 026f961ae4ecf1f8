"""What every lesson shares: run settings, verdicts, figures.

A lesson is a plain script in ``# %%`` cells. It starts with
``lesson = Lesson(5, "Transition to linearity")`` and records each claim with one
of the ``check`` methods, always passing numbers computed earlier in that same
run, never typed-in results. The runner (``python -m lessons``) collects the
verdicts of every lesson into one table.

Settings (quick mode, the figures folder) come from the runner, or from the
environment when a lesson file is run on its own or cell by cell in an editor:
``MINIGRAD_QUICK=1`` and ``MINIGRAD_FIGURES=some/folder``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are written to files; no screen is needed


@dataclass
class Settings:
    """How lessons run: ``quick`` shrinks sizes for the test suite."""

    quick: bool = os.environ.get("MINIGRAD_QUICK", "") not in ("", "0")
    figures: Path = Path(os.environ.get("MINIGRAD_FIGURES", "figures"))
    verbose: bool = True


SETTINGS = Settings()


@dataclass
class Verdict:
    """One claim of the lecture, what this run measured, and whether it held."""

    lesson: int
    claim: str
    measured: str
    expected: str
    passed: bool


def _format(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number == 0.0:
        return "0"
    if abs(number) >= 1e4 or abs(number) < 1e-3:
        return f"{number:.3g}"
    return f"{number:.4g}"


@dataclass
class Lesson:
    """The record of one lesson's run: its verdicts and the figures it saved."""

    number: int
    title: str
    verdicts: list[Verdict] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    seconds: float = 0.0  # wall-clock time of the run, set by the runner

    def __post_init__(self):
        _LESSONS.append(self)
        self.say(f"\n=== Lesson {self.number}: {self.title}" + (" (quick)" if self.quick else "") + " ===")

    # -- settings ---------------------------------------------------------
    @property
    def quick(self) -> bool:
        return SETTINGS.quick

    def size(self, full, quick):
        """``quick`` in quick mode (the test suite), ``full`` otherwise."""
        return quick if SETTINGS.quick else full

    def say(self, text: str) -> None:
        """Print a line of commentary (silenced when the runner asks for quiet)."""
        if SETTINGS.verbose:
            print(text, flush=True)

    # -- verdicts ---------------------------------------------------------
    def check(self, claim: str, measured, expected: str, passed) -> bool:
        """Record a claim with the number measured in this run and the verdict.

        ``passed`` must be computed from ``measured`` (e.g. ``slope < -0.4``);
        prefer the helpers below, which compute it for you.
        """
        verdict = Verdict(self.number, claim, _format(measured), expected, bool(passed))
        self.verdicts.append(verdict)
        mark = "PASS" if verdict.passed else "FAIL"
        self.say(f"  [{mark}] {claim}: measured {verdict.measured}, expected {expected}")
        return verdict.passed

    def check_below(self, claim: str, measured: float, bound: float) -> bool:
        """Claim: measured < bound."""
        return self.check(claim, measured, f"< {_format(bound)}", float(measured) < bound)

    def check_above(self, claim: str, measured: float, bound: float) -> bool:
        """Claim: measured > bound."""
        return self.check(claim, measured, f"> {_format(bound)}", float(measured) > bound)

    def check_between(self, claim: str, measured: float, low: float, high: float) -> bool:
        """Claim: low <= measured <= high."""
        inside = low <= float(measured) <= high
        return self.check(claim, measured, f"in [{_format(low)}, {_format(high)}]", inside)

    def check_true(self, claim: str, condition, measured: str) -> bool:
        """Claim: a computed condition holds; ``measured`` says what was seen."""
        return self.check(claim, measured, "true", bool(condition))

    # -- figures ----------------------------------------------------------
    def save_figure(self, fig, name: str) -> Path:
        """Save a matplotlib figure as ``lessonN_name.png`` in the figures folder and close it."""
        import matplotlib.pyplot as plt

        folder = Path(SETTINGS.figures)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"lesson{self.number}_{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.figures.append(path)
        self.say(f"  figure: {path}")
        return path

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)


_LESSONS: list[Lesson] = []


def collected() -> list[Lesson]:
    """Every Lesson created so far in this process."""
    return list(_LESSONS)
