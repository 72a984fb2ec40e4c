"""The helper package's layout shows who runs which code (README, "Repository layout").

- the modules at the top of ``nncourse`` are what notebooks import: they never import the
  instructor's tooling, and the grader only lazily (``checks.in_kernel`` during Validate);
- ``nncourse.grading`` is the grader: of the tooling it uses only the course paths;
- ``nncourse.instructor`` holds the tooling, and every ``python -m`` module the Makefile runs
  is a grader or tooling module.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "nncourse"


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported, at module level?) for every import of a file; relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-node.level]
                base = ".".join([*parts, base] if base else parts)
            found += [(f"{base}.{alias.name}", id(node) in top) for alias in node.names]
            found.append((base, id(node) in top))
    return found


def test_student_modules_import_no_tooling_and_the_grader_only_lazily():
    student_modules = sorted(p for p in PACKAGE.glob("*.py"))
    assert len(student_modules) >= 10, student_modules
    for path in student_modules:
        for module, at_top in imports(path):
            assert not module.startswith("nncourse.instructor"), f"{path.name} imports {module}"
            assert not (module.startswith("nncourse.grading") and at_top), \
                f"{path.name} imports the grader at module level ({module})"


def test_the_grader_uses_only_the_course_paths_of_the_tooling():
    for path in sorted((PACKAGE / "grading").glob("*.py")):
        for module, _ in imports(path):
            if module.startswith("nncourse.instructor"):
                assert module in {"nncourse.instructor.course", "nncourse.instructor.course.course_root",
                                  "nncourse.instructor.course.venv_env"}, f"grading/{path.name} imports {module}"


def test_every_tool_the_makefile_runs_lives_in_the_grader_or_the_tooling():
    modules = set(re.findall(r"-m (nncourse[\w.]*)", (ROOT / "Makefile").read_text()))
    assert {"nncourse.grading.run", "nncourse.instructor.course", "nncourse.instructor.slides",
            "nncourse.instructor.edition", "nncourse.instructor.bench",
            "nncourse.instructor.grading_bench"} <= modules, modules
    for module in modules:
        assert module.startswith(("nncourse.grading.", "nncourse.instructor.")), module
        assert (PACKAGE.parent / (module.replace(".", "/") + ".py")).is_file(), module


def test_importing_what_notebooks_use_loads_neither_the_grader_nor_the_tooling():
    code = ("import sys, nncourse, nncourse.checks, nncourse.data, nncourse.plotting, nncourse.progress; "
            "print(sorted(m for m in sys.modules if m.startswith(('nncourse.grading', 'nncourse.instructor'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(PACKAGE.parent), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"})
    assert out.stdout.strip() == "[]", out.stdout


def test_grading_bench_with_no_students_skips_the_throughput_comparison(monkeypatch):
    """`--students 0` means no throughput run (stock nbgrader would fail on an empty class), as `--per-assignment 0`
    means no per-assignment table."""
    from nncourse.instructor import grading_bench

    ran = []
    monkeypatch.setattr(grading_bench, "timed", lambda *a, **k: ran.append(a) or (1.0, 1.0))
    monkeypatch.setattr(grading_bench.subprocess, "run", lambda *a, **k: ran.append(a))
    assert grading_bench.main(["--per-assignment", "0", "--students", "0"]) == 0
    assert ran == []
