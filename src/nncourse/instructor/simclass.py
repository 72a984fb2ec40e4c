"""The simulated class: submissions built from a real release, with known scores (tests and bench).

Every submission starts from the student release (what students download) and
fills answer cells with the instructor's solution, optionally replacing some of
them with wrong code. Expected scores follow from the points of the test cells
each wrong answer breaks, which each assignment's spec in ``tests/specs`` declares.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*\n?", re.M | re.S)


@dataclass(frozen=True)
class Submission:
    """One student's notebook: which answer cells are replaced and the score it must get."""

    student: str
    replacements: dict[str, str] = field(default_factory=dict)  # answer grade_id -> code
    broken_tests: frozenset[str] = frozenset()  # test grade_ids that must score 0
    partial: dict[str, float] = field(default_factory=dict)  # test grade_id -> the partial credit it must earn
    blank: bool = False  # the untouched release
    raw_text: str | None = None  # a file that is not a notebook at all


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solution_code(source_cell_text: str) -> str:
    """The instructor's answer: the source cell with the solution markers removed (keeps the indentation)."""
    return SOLUTION_REGION.sub(lambda m: m.group(1), source_cell_text)


def answer_cells(source_nb) -> dict[str, str]:
    """grade_id -> solution code of every autograded answer cell in the instructor source."""
    return {
        grade_id(c): solution_code(c.source)
        for c in source_nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    }


def test_points(source_nb) -> dict[str, float]:
    """grade_id -> points of every autograded test cell."""
    return {
        grade_id(c): float(c.metadata["nbgrader"]["points"])
        for c in source_nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


def build_submission(release_nb, source_nb, submission: Submission):
    """The notebook a student with this submission would hand in."""
    if submission.blank:
        return copy.deepcopy(release_nb)
    answers = answer_cells(source_nb)
    unknown = set(submission.replacements) - set(answers)
    if unknown:
        raise KeyError(f"{submission.student}: no answer cells {sorted(unknown)} in the source")
    answers.update(submission.replacements)
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        gid = grade_id(cell)
        if cell.cell_type == "code" and gid in answers:
            cell.source = answers[gid]
    return nb


def expected_score(source_nb, submission: Submission) -> float:
    points = test_points(source_nb)
    if submission.blank or submission.raw_text is not None:
        return 0.0
    unknown = (set(submission.broken_tests) | set(submission.partial)) - set(points)
    if unknown:
        raise KeyError(f"{submission.student}: no test cells {sorted(unknown)} in the source")
    return sum(submission.partial.get(gid, p) for gid, p in points.items() if gid not in submission.broken_tests)


def write_class(course: Path, assignment: str, submissions: list[Submission]) -> dict[str, float]:
    """Write every submission into ``submitted/<student>/<assignment>/`` and return the expected scores."""
    source_nb = nbformat.read(course / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    release_nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    expected = {}
    for sub in submissions:
        folder = course / "submitted" / sub.student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{assignment}.ipynb"
        if sub.raw_text is not None:
            target.write_text(sub.raw_text)
        else:
            nbformat.write(build_submission(release_nb, source_nb, sub), target)
        expected[sub.student] = expected_score(source_nb, sub)
    return expected
