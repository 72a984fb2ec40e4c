"""The student release shows no line of a solution or of a hidden test, in code or in prose.

For every assignment the release is generated with real nbgrader (``generate_assignment``
on a temporary copy of the course). Every line of a source's solution regions and hidden
test regions is a *secret*, and no secret may appear anywhere in the release: not in a
code cell, and not in a prompt ("draw the mask with `keep = rng.random(x.shape) < p`" gives
the answer away as surely as the code does). Besides each whole line, the right-hand side
of an assignment, the value of a ``return``, and the code and the comment of a line with a
trailing comment are checked on their own, so a prompt that shows ``x * keep / p`` is caught
as well as one that shows the full line. Whitespace is ignored in the comparison; comments
count (a comment can give the method away).

Not secrets: trivially short or common text (``pass``, ``return x``, ``)``, ``else:``, imports,
a name or literal keyword arguments closing a longer statement, ``rtol=1e-9)``), a call with
plain names as arguments (``policy(k, z)``, the interface), and what the source shows outside
its solution and hidden regions: a whole line that is also a line of its visible code, or a
part of a line that occurs in its visible code (a signature or a docstring given in the answer
cell, an expression a visible test runs).
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from course import REPO, copy_course, release_all
from nncourse.instructor.course import assignment_ids

IDS = assignment_ids(REPO)
REGION = re.compile(r"^[ \t]*### BEGIN (SOLUTION|HIDDEN TESTS)[ \t]*\n(.*?)^[ \t]*### END \1[ \t]*$", re.M | re.S)
MIN_CHARS = 8  # without whitespace: shorter fragments ("x * p", "return 0.0") are too common to mean a leak


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_solution_cell(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def secret_and_visible_lines(source_nb) -> tuple[list[tuple[str, str]], set[str]]:
    """([(cell id, secret line)], {squeezed visible code lines}) of an instructor source."""
    secrets, visible = [], set()
    for cell in source_nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        if cell.cell_type == "markdown":
            if is_solution_cell(cell):  # a written answer: the whole cell is replaced in the release
                secrets += [(gid, ln) for ln in cell.source.splitlines()]
            continue
        if cell.cell_type != "code":
            continue
        regions = list(REGION.finditer(cell.source))
        if is_solution_cell(cell) and not regions:  # no markers: nbgrader replaces the whole cell
            secrets += [(gid, ln) for ln in cell.source.splitlines()]
            continue
        secrets += [(gid, ln) for m in regions for ln in m.group(2).splitlines()]
        outside = REGION.sub("", cell.source)
        visible |= {squeeze(ln) for ln in outside.splitlines() if squeeze(ln)}
    return secrets, visible


def trivial(fragment: str) -> bool:
    """Too short or too common to give anything away: `)`, `else:`, `pass`, `return theta`, imports, a name
    in quotes and brackets (the end of a longer statement), a call with names only (`policy(k, z)`: the interface)."""
    squeezed = squeeze(fragment)
    if len(squeezed) < MIN_CHARS or re.fullmatch(r"\W*[\w.]+\W*", fragment.strip()):
        return True
    if re.fullmatch(r"(import [\w.]+( as \w+)?|from [\w.]+ import .+)(\s*#.*)?", fragment.strip()):
        return True
    if re.fullmatch(r"(\w+=[\w.+-]+,?\s*)+[)\]]*[,:]?", fragment.strip()):  # the end of a call: `rtol=1e-9)`
        return True
    try:
        node = ast.parse(fragment.strip(), mode="eval").body
    except SyntaxError:
        return False
    return isinstance(node, ast.Call) and all(isinstance(a, ast.Name) for a in node.args) and not node.keywords


def fragments(line: str) -> list[str]:
    """The line, its code without a trailing comment, that comment, and the value it assigns or returns."""
    line = line.strip()
    parts = [line]
    code, _, comment = line.partition("  #") if not line.startswith("#") else ("", "", line[1:])
    code = code.strip()
    if comment:
        parts += [code, comment.strip()]
    try:
        tree = ast.parse(code) if code else None
    except SyntaxError:  # a line of a longer statement: keep the line itself only
        tree = None
    if tree is not None and len(tree.body) == 1:
        stmt = tree.body[0]
        value = getattr(stmt, "value", None)
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)) and value is not None:
            parts.append(ast.get_source_segment(code, value) or "")
    return [p for p in dict.fromkeys(parts) if p and not trivial(p)]


def shown_on_purpose(fragment: str, line: str, visible: set[str]) -> bool:
    """The whole line is a line of the source's visible code, or a part of a line is inside one."""
    if fragment == line.strip():
        return squeeze(line) in visible
    return any(squeeze(fragment) in shown for shown in visible)


def leaks(source_nb, release_nb) -> list[str]:
    secrets, visible = secret_and_visible_lines(source_nb)
    released = squeeze("\n".join(c.source for c in release_nb.cells))
    found = []
    for gid, line in secrets:
        hit = next((f for f in fragments(line) if squeeze(f) in released and not shown_on_purpose(f, line, visible)),
                   None)
        if hit is not None:
            found.append(f"{gid}: {line.strip()!r}" + (f" (as {hit!r})" if hit != line.strip() else ""))
    return found


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course"), IDS)
    release_all(root, IDS)
    return root


def test_the_leak_check_finds_a_prompt_that_shows_the_code():
    source = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Draw the mask with `keep = rng.random(x.shape) < p` and return `x * keep / p`."),
        nbformat.v4.new_code_cell("def dropout(x, p, rng):\n    ### BEGIN SOLUTION\n    keep = rng.random(x.shape) < p\n"
                                  "    return x * keep / p\n    ### END SOLUTION\n",
                                  metadata={"nbgrader": {"solution": True, "grade_id": "dropout"}}),
        nbformat.v4.new_code_cell("out = dropout(x, 0.5, rng)\n### BEGIN HIDDEN TESTS\n"
                                  "_kept = _out != 0  # compare with the binomial interval\n### END HIDDEN TESTS\n"),
    ])
    release = nbformat.v4.new_notebook(cells=[source.cells[0], nbformat.v4.new_code_cell(
        "def dropout(x, p, rng):\n    # YOUR CODE HERE\n    raise NotImplementedError()"),
        nbformat.v4.new_code_cell("out = dropout(x, 0.5, rng)\n# compare with the binomial interval")])
    found = leaks(source, release)
    assert len(found) == 3 and "x * keep / p" in found[1] and "binomial" in found[2], found
    assert leaks(source, nbformat.v4.new_notebook(cells=release.cells[1:2])) == []


@pytest.mark.slow
@pytest.mark.parametrize("aid", IDS)
def test_release_shows_no_solution_or_hidden_test_line(releases, aid):
    source = nbformat.read(REPO / "assignments" / aid / f"{aid}.ipynb", as_version=4)
    release = nbformat.read(releases / "release" / aid / f"{aid}.ipynb", as_version=4)
    found = leaks(source, release)
    assert not found, f"{aid}: {len(found)} solution or hidden-test lines appear in the release:\n" + "\n".join(found)
