"""nbgrader preprocessors that make autograding honest (configured in nbgrader_config.py)."""

from __future__ import annotations

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from nncourse.grading.policy import check_notebook

NOTICE_TITLE = "**This submission needs manual grading.**"


def stub_for(reasons: list[str]) -> str:
    """The code that replaces a flagged answer: it fails its tests and says why."""
    message = "This answer was not run because it reaches into the interpreter: " + "; ".join(reasons)
    return f"raise RuntimeError({message!r})"


def add_notice(nb, reasons: list[str]) -> None:
    """Put reasons for manual review in a Markdown cell at the top (shown in the feedback, read by `make grade`)."""
    if not reasons:
        return
    lines = [f"- {r}" for r in reasons]
    if nb.cells and nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(NOTICE_TITLE):
        nb.cells[0].source += "\n" + "\n".join(lines)
    else:
        nb.cells.insert(0, new_markdown_cell(NOTICE_TITLE + "\n\n" + "\n".join(lines)))


def notice_reasons(nb) -> list[str]:
    """The reasons recorded by ``add_notice`` (empty if the submission was not flagged)."""
    if nb.cells and nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(NOTICE_TITLE):
        return [ln[2:] for ln in nb.cells[0].source.splitlines() if ln.startswith("- ")]
    return []


class EnforceAnswerPolicy(NbGraderPreprocessor):
    """Replace answer cells that break nncourse.grading.policy with a failing stub, and flag the notebook."""

    def preprocess(self, nb, resources):
        flagged = check_notebook(nb)
        reasons = []
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code" and gid in flagged:
                why = "; ".join(str(v) for v in flagged[gid])
                cell.source = stub_for([str(v) for v in flagged[gid]])
                reasons.append(f"answer cell '{gid}' was not run: {why}")
                self.log.warning("%s: answer cell '%s' not run: %s",
                                 resources.get("nbgrader", {}).get("student"), gid, why)
        add_notice(nb, reasons)
        return nb, resources
