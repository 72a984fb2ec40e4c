"""Read a submitted notebook however broken it is, and say what was wrong.

Every problem becomes a reason for manual review, never a crash of the batch:
a missing, empty, binary or non-JSON file is graded as the blank release (score 0);
a file in another text encoding is decoded; deleted, duplicated or re-labelled cells
are restored from the release; a changed kernelspec is noted (nbgrader resets it).
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


def repair_cells(nb, release_nb) -> list[str]:
    """Make the graded cells match the release: drop duplicates, restore deleted ones and their metadata."""
    reasons: list[str] = []
    release_cells = {(_grade_id(c)): c for c in release_nb.cells if _grade_id(c)}
    seen: set[str] = set()
    kept = []
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid is None:
            # a cell whose nbgrader metadata was removed but whose id is known by position is handled below
            kept.append(cell)
            continue
        if gid in seen:
            reasons.append(f"cell '{gid}' was duplicated; only its first copy was graded")
            continue
        seen.add(gid)
        original = release_cells.get(gid)
        if original is not None:
            if cell.metadata.get("nbgrader") != original.metadata.get("nbgrader") or cell.cell_type != original.cell_type:
                reasons.append(f"the grading metadata of cell '{gid}' was changed; it was restored")
                cell.metadata["nbgrader"] = copy.deepcopy(original.metadata["nbgrader"])
                cell.cell_type = original.cell_type
            meta = original.metadata["nbgrader"]
            if (meta.get("locked") or meta.get("grade")) and not meta.get("solution") and cell.source != original.source:
                # nbgrader puts the instructor's version back; the student should know it was changed.
                reasons.append(f"the locked cell '{gid}' was edited; the original was graded")
        kept.append(cell)
    # Restore deleted cells after the nearest earlier cell that is still present.
    order = [_grade_id(c) for c in release_nb.cells if _grade_id(c)]
    for i, gid in enumerate(order):
        if gid in seen:
            continue
        restored = copy.deepcopy(release_cells[gid])
        before = next((g for g in reversed(order[:i]) if g in seen), None)
        at = 0 if before is None else next(k for k, c in enumerate(kept) if _grade_id(c) == before) + 1
        kept.insert(at, restored)
        seen.add(gid)
        what = "answer" if restored.metadata["nbgrader"].get("solution") else "locked"
        reasons.append(f"the {what} cell '{gid}' was deleted; it was restored from the release")
    nb.cells = kept
    return reasons


def load_submission(path: Path, release_nb) -> tuple[object, list[str]]:
    """(notebook to grade, reasons for manual review). Never raises for bad student input."""
    path = Path(path)
    if not path.is_file():
        return blank(release_nb), [f"no notebook named {path.name} was submitted; graded as blank"]
    raw = path.read_bytes()
    if not raw.strip():
        return blank(release_nb), ["the notebook file is empty; graded as blank"]
    text, reasons = _decode(raw)
    if text is None:
        return blank(release_nb), [r + "; graded as blank" for r in reasons]
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return blank(release_nb), [f"the file is not valid JSON ({exc.msg} at line {exc.lineno}); graded as blank"]
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several types for malformed notebooks
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        return blank(release_nb), [f"the file is not a valid notebook ({first}); graded as blank"]
    wanted = release_nb.metadata.get("kernelspec", {}).get("name")
    found = nb.metadata.get("kernelspec", {}).get("name")
    if wanted and found != wanted:
        reasons.append(f"the kernel was changed to '{found}'; it was graded with '{wanted}'")
        nb.metadata["kernelspec"] = copy.deepcopy(release_nb.metadata["kernelspec"])
    reasons += repair_cells(nb, release_nb)
    return nb, reasons
