"""The grading pipeline end to end, with real nbgrader on a temporary course.

For every assignment with a simulated class (tests/specs/<id>.py): the release hides
solutions and hidden tests, each submission gets exactly its expected score, the
committed solution matches what the source generates, and feedback and export work.

Each assignment is a class of its own (``TestPipeline_<id>``) with its own course, so
pytest-xdist's ``--dist loadscope`` spreads the assignments over the workers instead of
grading them all on one.
"""

from __future__ import annotations

import csv
import re

import nbformat
import pytest
from nbgrader.api import Gradebook

from course import REPO, copy_course, gradebook_scores, nbgrader, simulated_class, spec_ids
from simclass import write_class

IDS = spec_ids()
ABSENT = "absent_student"  # in the gradebook, never submits: the export must give them 0
# Assignments whose student code needs only NumPy: their students' kernels must never load TensorFlow (the judge
# computes the Keras and tf.GradientTape references in its own process). A full solution with one extra cell at
# the end reports what its kernel loaded, after every test has run.
NUMPY_ONLY = {"autodiff", "backprop", "function_approximation", "gradient_descent", "neural_odes", "neurons",
              "regularisation"}
PROBE = "kernel_probe"
PROBE_CELL = 'import sys\nprint("loaded:", [m for m in ("tensorflow", "keras", "torch") if m in sys.modules])\n'


class PipelineChecks:
    """The checks of one assignment (``aid``); subclassed per assignment at the end of the module."""

    aid: str

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        """One course: the assignment released, its class written and autograded."""
        aid = cls.aid
        root = copy_course(tmp_path_factory.mktemp(f"course-{aid}"), [aid])
        nbgrader(root, "generate_assignment", aid, "--force")
        expected = write_class(root, aid, simulated_class(aid))
        if aid in NUMPY_ONLY:
            full = nbformat.read(root / "submitted" / "full_solution" / aid / f"{aid}.ipynb", as_version=4)
            full.cells.append(nbformat.v4.new_code_cell(PROBE_CELL))
            (root / "submitted" / PROBE / aid).mkdir(parents=True)
            nbformat.write(full, root / "submitted" / PROBE / aid / f"{aid}.ipynb")
            expected[PROBE] = expected["full_solution"]
        db_url = f"sqlite:///{root / 'gradebook.db'}"
        with Gradebook(db_url) as gb:  # what `nbgrader db student add` does
            gb.add_student(ABSENT)
        nbgrader(root, "autograde", aid, "--create", "--force")
        return root, db_url, expected

    @pytest.mark.slow
    def test_release_contains_no_solution_or_hidden_test(self, graded):
        root, aid = graded[0], self.aid
        release = (root / "release" / aid / f"{aid}.ipynb").read_text()
        source = nbformat.read(REPO / "assignments" / aid / f"{aid}.ipynb", as_version=4)
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in release, f"{aid}: the release still contains '{marker}'"
        released = nbformat.reads(release, as_version=4)
        released_code = "\n".join(c.source for c in released.cells if c.cell_type == "code")
        regions = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
        for cell in source.cells:
            if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("solution"):
                continue
            gid = cell.metadata["nbgrader"]["grade_id"]
            # Only the solution regions: what is outside them (a class's layout) is meant for the release.
            code = "\n".join(regions.findall(cell.source)) if "### BEGIN SOLUTION" in cell.source else cell.source
            body = [ln.strip() for ln in code.splitlines()
                    if ln.strip() and not ln.lstrip().startswith(("def ", '"""', "#"))]
            leaked = [ln for ln in body if ln in released_code]
            assert not leaked, f"{aid}/{gid}: solution lines leaked into the release: {leaked}"
        hidden = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
        for cell in source.cells:
            for block in hidden.findall(cell.source):
                for line in (ln.strip() for ln in block.splitlines()):
                    if len(line) > 25:
                        assert line not in released_code, f"{aid}: hidden test line in the release: {line!r}"

    @pytest.mark.slow
    def test_every_simulated_submission_gets_its_exact_score(self, graded):
        _, db_url, expected = graded
        scores = gradebook_scores(db_url, self.aid)
        assert scores == pytest.approx(expected), "\n".join(
            f"{s}: expected {expected[s]}, got {scores.get(s)}" for s in expected if scores.get(s) != expected[s])
        total = max(expected.values())
        assert scores["full_solution"] == total > 0
        assert scores["blank_release"] == 0

    @pytest.mark.slow
    def test_committed_solution_matches_its_source(self, tmp_path):
        aid = self.aid
        committed_path = REPO / "solutions" / aid / f"{aid}.ipynb"
        assert committed_path.is_file(), f"solutions/{aid}/{aid}.ipynb is missing: run `make solutions`"
        root = copy_course(tmp_path, [aid])
        # Only the sources are compared, so the fresh copy is not executed: the committed one's execution is
        # checked below, nbval runs it in `make test`, and the full-solution submission is graded above.
        with open(root / "nbgrader_config.py", "a") as config:
            config.write("\nc.GenerateSolution.preprocessors = [p for p in c.GenerateSolution.preprocessors "
                         "if p is not Execute]\n")
        nbgrader(root, "db", "assignment", "add", aid)
        nbgrader(root, "generate_solution", aid, "--force")
        fresh = nbformat.read(root / "solutions" / aid / f"{aid}.ipynb", as_version=4)
        committed = nbformat.read(committed_path, as_version=4)
        assert [c.source for c in committed.cells] == [c.source for c in fresh.cells], (
            f"solutions/{aid} is out of date with assignments/{aid}: run `make solutions`")
        code = [c for c in committed.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code), f"solutions/{aid} was not executed top to bottom"
        assert not any(o.output_type == "error" for c in code for o in c.outputs), f"solutions/{aid} has errors"

    @pytest.mark.slow
    def test_feedback_shows_visible_results_but_no_hidden_tests(self, graded):
        root, aid = graded[0], self.aid
        nbgrader(root, "generate_feedback", aid, "--force")
        source = nbformat.read(REPO / "assignments" / aid / f"{aid}.ipynb", as_version=4)
        hidden_lines = [ln.strip() for c in source.cells
                        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", c.source, re.S)
                        for ln in block.splitlines() if len(ln.strip()) > 25]
        for sub in simulated_class(aid):
            html = root / "feedback" / sub.student / aid / f"{aid}.html"
            assert html.is_file(), f"no feedback for {sub.student}/{aid}"
            text = html.read_text()
            leaked = [ln for ln in hidden_lines if ln in text]
            assert not leaked, f"feedback of {sub.student}/{aid} shows hidden test code: {leaked[:2]}"

    @pytest.mark.slow
    def test_a_numpy_only_assignment_never_loads_tensorflow_in_the_students_kernel(self, graded):
        if self.aid not in NUMPY_ONLY:
            pytest.skip(f"{self.aid}'s student code uses TensorFlow")
        root = graded[0]
        nb = nbformat.read(root / "autograded" / PROBE / self.aid / f"{self.aid}.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []))
        assert "loaded:" in printed, f"the probe cell did not run: {nb.cells[-1].get('outputs')}"
        assert "loaded: []" in printed, f"{self.aid}: the student's kernel loaded {printed.strip()}"

    @pytest.mark.slow
    def test_export_lists_every_student(self, graded):
        root, _, expected = graded
        nbgrader(root, "export", "--to", str(root / "grades.csv"))
        with open(root / "grades.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        # nbgrader exports a row per student in the gradebook for every assignment, submitted or not.
        exported = {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == self.aid}
        assert set(exported) >= set(expected) | {ABSENT}, f"export misses {set(expected) - set(exported)}"
        assert {s: exported[s] for s in expected} == pytest.approx(expected)
        assert exported[ABSENT] == 0, "a student who never submitted must score 0"


for _aid in IDS:  # one class, so one xdist scope, per assignment
    globals()[f"TestPipeline_{_aid}"] = type(f"TestPipeline_{_aid}", (PipelineChecks,), {"aid": _aid})
