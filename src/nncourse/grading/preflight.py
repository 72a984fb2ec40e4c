"""Read a submitted notebook however broken it is, and say what was wrong.

A broken file never crashes the batch: a missing, empty, binary or non-JSON file is
graded as the blank release (score 0) and flagged for manual review. Harmless
differences (another text encoding, a renamed kernel, an answer cell turned into
Markdown) are repaired and noted in the log. Nothing is repaired above what stock
nbgrader would grade: a deleted test cell stays deleted and scores 0, as in stock.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _decode(raw: bytes) -> tuple[str | None, list[str]]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), ["the file was saved as UTF-16; it was decoded and graded"]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw:
        return None, ["the file is binary, not a notebook"]
    return raw.decode("latin-1"), ["the file was not UTF-8; it was read as Latin-1 and graded"]


def blank(release_nb):
    return copy.deepcopy(release_nb)


def repair_duplicates(nb) -> list[str]:
    """Keep the first cell of each grade_id; later copies of an answer run as plain cells, other copies go.

    Stock nbgrader refuses a notebook with duplicated cells. A student who copied an answer
    cell and edited the copy gets what their own run showed: the later definition wins.
    """
    notes, seen, kept = [], set(), []
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid is None or gid not in seen:
            seen.add(gid)
            kept.append(cell)
            continue
        if cell.metadata["nbgrader"].get("solution") and cell.cell_type == "code":
            del cell.metadata["nbgrader"]
            kept.append(cell)
            notes.append(f"cell '{gid}' was duplicated; the copy ran as an ordinary cell")
        else:
            notes.append(f"cell '{gid}' was duplicated; only its first copy was graded")
    nb.cells = kept
    return notes


def repair_cells(nb, release_nb) -> tuple[list[str], list[str]]:
    """Put graded cells back in a gradable shape, never above what stock nbgrader would give.

    Returns (flags, notes): flags need the instructor's eye, notes only go to the log.
    - An answer or test cell turned into Markdown or raw becomes a code cell again (a note).
    - A deleted graded cell is NOT restored: stock nbgrader grades it as missing, and so do we (a flag).
    - Changed grading metadata and edited locked cells are restored by nbgrader's OverwriteCells (a note).
    """
    flags: list[str] = []
    notes: list[str] = repair_duplicates(nb)
    release_cells = {_grade_id(c): c for c in release_nb.cells if _grade_id(c)}
    present = set()
    for index, cell in enumerate(nb.cells):
        gid = _grade_id(cell)
        original = release_cells.get(gid)
        if original is None:
            continue
        present.add(gid)
        if original.cell_type == "code" and cell.cell_type != "code":
            nb.cells[index] = nbformat.v4.new_code_cell(source=cell.source, metadata=copy.deepcopy(cell.metadata))
            notes.append(f"cell '{gid}' had been turned into a {cell.cell_type} cell; it was graded as code")
        elif (original.metadata["nbgrader"].get("locked") and not original.metadata["nbgrader"].get("solution")
              and cell.source != original.source):
            notes.append(f"the locked cell '{gid}' was edited; nbgrader graded the original")
    for gid, original in release_cells.items():
        if gid in present:
            continue
        meta = original.metadata["nbgrader"]
        if meta.get("grade"):
            flags.append(f"the graded cell '{gid}' was deleted; as in stock nbgrader it scores 0 until graded by hand")
        elif meta.get("locked") and original.cell_type == "code":
            flags.append(f"the locked cell '{gid}' was deleted; the tests used the instructor's copy, "
                         "the student's code ran without it")
    return flags, notes


def load_submission(path: Path, release_nb) -> tuple[object, list[str], list[str]]:
    """(notebook to grade, reasons for manual review, notes for the log). Never raises for bad student input."""
    path = Path(path)
    if not path.is_file():
        return blank(release_nb), [f"no notebook named {path.name} was submitted; graded as blank"], []
    raw = path.read_bytes()
    if not raw.strip():
        return blank(release_nb), ["the notebook file is empty; graded as blank"], []
    text, notes = _decode(raw)
    if text is None:
        return blank(release_nb), [r + "; graded as blank" for r in notes], []
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return blank(release_nb), [f"the file is not valid JSON ({exc.msg} at line {exc.lineno}); graded as blank"], []
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several types for malformed notebooks
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        return blank(release_nb), [f"the file is not a valid notebook ({first}); graded as blank"], []
    wanted = release_nb.metadata.get("kernelspec", {}).get("name")
    found = nb.metadata.get("kernelspec", {}).get("name")
    if wanted and found != wanted:  # an editor renaming the kernel is harmless: nbgrader grades with the source's
        notes.append(f"the kernel was renamed to '{found}'; it was graded with '{wanted}'")
    flags, repair_notes = repair_cells(nb, release_nb)
    return nb, flags, notes + repair_notes
