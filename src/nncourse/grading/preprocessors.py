"""nbgrader preprocessors that make autograding honest (configured in nbgrader_config.py)."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor


NOTICE_TITLE = "**This submission needs manual grading.**"


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


class RestoreAnswerCells(NbGraderPreprocessor):
    """Cells a student broke by accident are put back in a gradable shape (before nbgrader reads them).

    - An answer or test cell turned into Markdown or raw (one key press) becomes a code cell
      again: the gradebook knows each graded cell's type, and the cell keeps the student's text.
    - Duplicated cells (stock nbgrader refuses the notebook): ``preflight.repair_duplicates``.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        from nncourse.grading.preflight import repair_duplicates

        for note in repair_duplicates(nb):
            self.log.warning("%s: %s", resources.get("nbgrader", {}).get("student"), note)

        info = resources.get("nbgrader", {})
        try:
            with Gradebook(info["db_url"]) as gb:
                record = gb.find_notebook(info["notebook"], info["assignment"])
                code_cells = {c.name for c in record.source_cells if c.cell_type == "code"}
        except (KeyError, MissingEntry):
            return nb, resources
        for index, cell in enumerate(nb.cells):
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid in code_cells and cell.cell_type != "code":
                nb.cells[index] = new_code_cell(source=cell.source, metadata=cell.metadata)
                self.log.warning("%s: cell '%s' was a %s cell; it was graded as code",
                                 info.get("student"), gid, cell.cell_type)
        return nb, resources
