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


class RepairCells(NbGraderPreprocessor):
    """Cells a student broke by accident are put back in a gradable shape, before nbgrader reads them.

    Stock nbgrader stops on each of these, leaving the student ungraded:
    - an answer or test cell turned into Markdown or raw (one key press) becomes a code cell
      again; the gradebook knows each graded cell's type, and the cell keeps the student's text;
    - a graded cell whose nbgrader flags were edited (``grade``, ``solution``, ``locked``,
      ``points``) gets the gradebook's flags back (its code is then restored by OverwriteCells);
    - duplicated cells: ``preflight.repair_duplicates``.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        from nncourse.grading.preflight import repair_duplicates

        info = resources.get("nbgrader", {})
        student = info.get("student")
        for note in repair_duplicates(nb):
            self.log.warning("%s: %s", student, note)
        try:
            with Gradebook(info["db_url"]) as gb:
                record = gb.find_notebook(info["notebook"], info["assignment"])
                kinds = {c.name: (c.cell_type, bool(c.locked)) for c in record.source_cells}
                points = {c.name: float(c.max_score) for c in record.grade_cells}
                answers = {c.name for c in record.solution_cells}
        except (KeyError, MissingEntry):
            return nb, resources
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            gid = meta.get("grade_id")
            if gid not in kinds:
                continue
            cell_type, locked = kinds[gid]
            if cell_type == "code" and cell.cell_type != "code":
                cell = nb.cells[index] = new_code_cell(source=cell.source, metadata=cell.metadata)
                self.log.warning("%s: cell '%s' had been turned into another cell type; it was graded as code",
                                 student, gid)
            wanted = {"grade": gid in points, "solution": gid in answers, "locked": locked}
            if gid in points:
                wanted["points"] = points[gid]
            changed = {k: v for k, v in wanted.items() if meta.get(k) != v}
            if changed:
                meta.update(changed)
                self.log.warning("%s: the nbgrader flags of cell '%s' were changed (%s); the gradebook's were restored",
                                 student, gid, ", ".join(sorted(changed)))
        return nb, resources
