"""``JudgedExecute``: nbgrader's Execute step with test cells decided by the judge.

Configured in nbgrader_config.py for ``nbgrader autograde``, the Formgrader and
``make grade``. Every cell that is not a test cell runs in the sandboxed student
kernel, as stock nbgrader would run it; test cells run in ``nncourse.grading.judge``.
Which cells are test cells, and their code, come from the gradebook (the instructor's
copy), never from the submitted notebook.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError
from nbconvert.preprocessors.execute import NotebookClient
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute

from nncourse.grading.preprocessors import add_notice
from nncourse.grading.judge import (
    AGENT_SOURCE,
    BOOTSTRAP,
    Judge,
    KernelGone,
    KernelLink,
    bound_names,
    names_bound_by_cells,
    parse,
    used_names,
    visible_part,
)
from nncourse.grading.sandbox import SandboxedKernelManager, check_sandbox_available


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class TrustedCells:
    """The instructor's cells of one notebook, from the gradebook: test cells and locked setup cells."""

    def __init__(self, tests: dict[str, str], setup: dict[str, str], answers: set[str]):
        self.tests = tests  # grade_id -> source (hidden tests included)
        self.setup = setup  # grade_id -> source of locked code cells that are neither tests nor answers
        self.answers = answers  # grade_ids of answer cells

    @classmethod
    def from_gradebook(cls, db_url: str, notebook: str, assignment: str) -> "TrustedCells":
        from nbgrader.api import Gradebook

        with Gradebook(db_url) as gb:
            record = gb.find_notebook(notebook, assignment)
            sources = {c.name: c for c in record.source_cells}
            graded = {c.name for c in record.grade_cells}
            answers = {c.name for c in record.solution_cells}
            tests = {n: sources[n].source for n in graded - answers
                     if n in sources and sources[n].cell_type == "code"}
            setup = {n: c.source for n, c in sources.items()
                     if c.cell_type == "code" and c.locked and n not in graded and n not in answers}
        return cls(tests, setup, answers)


def student_owned_names(config, assignment: str, notebook: str, answer_ids: set[str]) -> set[str]:
    """Names the instructor's own answers bind: the judge always asks the kernel for these."""
    from nbgrader.coursedir import CourseDirectory

    try:
        coursedir = CourseDirectory(config=config)
        path = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / f"{notebook}.ipynb"
        source = nbformat.read(path, as_version=4)
    except Exception:  # no instructor source here: every setup name stays the judge's
        return set()
    return names_bound_by_cells(c.source for c in source.cells
                                if c.cell_type == "code" and _grade_id(c) in answer_ids)


class JudgedExecute(Execute):
    """Run a submission: student cells in the sandboxed kernel, test cells in the judge."""

    def __init__(self, *args, **kwargs):
        check_sandbox_available()
        super().__init__(*args, **kwargs)

    def create_kernel_manager(self):
        # The notebook's own kernel (nbgrader resets it to the source's), never silently replaced.
        self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or "python3"
        workdir = self.resources.get("metadata", {}).get("path") or os.getcwd()
        self.km = SandboxedKernelManager(kernel_name=self.kernel_name, workdir=str(workdir), parent=self)
        return self.km

    def preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, None)  # we own the kernel manager, so nbclient shuts the kernel down
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        info = (resources or {}).get("nbgrader", {})
        trusted = TrustedCells.from_gradebook(info["db_url"], info["notebook"], info["assignment"])
        owned = student_owned_names(self.config, info["assignment"], info["notebook"], trusted.answers)
        workdir = str(self.resources.get("metadata", {}).get("path") or os.getcwd())
        with self.setup_kernel():
            reply = self.wait_for_reply(self.kc.kernel_info())
            if reply is not None and "language_info" in reply["content"]:
                self.nb.metadata["language_info"] = reply["content"]["language_info"]
            link = KernelLink(self.km, timeout=self.timeout or 60, log=self.log)
            try:
                link.run_code(BOOTSTRAP.format(source=AGENT_SOURCE))
                judge = Judge(link, student_owned=owned, workdir=workdir, log=self.log,
                              test_names=names_bound_by_cells(trusted.tests.values()))
                self._run_cells(judge, link, trusted)
                if link.dead:  # shown at the top of the feedback, and read by `make grade`'s summary
                    add_notice(self.nb, [self.resources.get("nncourse_dead", "the student kernel died or stopped "
                                         "answering; the tests after that point scored 0")])
            finally:
                link.outputs = None
                try:
                    link.close_serve()
                except Exception:
                    pass
                link.kc.stop_channels()
        self._close_figures()
        return self.nb, self.resources

    def _run_cells(self, judge: Judge, link: KernelLink, trusted: TrustedCells) -> None:
        cells = self.nb.cells
        replay = self._visible_replays(trusted)
        for index, cell in enumerate(cells):
            gid = _grade_id(cell)
            if gid in trusted.tests and cell.cell_type == "code":
                cell.source = trusted.tests[gid]
                if link.dead:
                    cell.outputs = [_error("KernelGone", "the student kernel had stopped before this test ran")]
                    continue
                judge.run_test(cell)
                if gid in replay and not link.dead:
                    try:
                        link.run_code(replay[gid], wait=self.timeout or 60)
                    except KernelGone:
                        pass
                continue
            if cell.cell_type != "code":
                continue
            if link.dead:
                cell.outputs = [_error("KernelGone", "the student kernel had stopped before this cell ran")]
                continue
            try:
                self.preprocess_cell(cell, self.resources, index)
            except DeadKernelError:
                link.dead = True
                cell.outputs.append(_error("DeadKernelError", "the student kernel died while running this cell"))
                self.resources["nncourse_dead"] = (f"the student kernel died while running cell {index + 1}; "
                                                   "the tests after it scored 0")
                continue
            link.names.clear()
            if gid in trusted.setup:
                judge.run_setup(trusted.setup[gid])

    def _visible_replays(self, trusted: TrustedCells) -> dict[str, str]:
        """Visible test code to re-run in the kernel, when a later student or setup cell reads a name it binds."""
        replay: dict[str, str] = {}
        pending: dict[str, set[str]] = {}
        for cell in self.nb.cells:
            gid = _grade_id(cell)
            if cell.cell_type != "code":
                continue
            if gid in trusted.tests:
                tree = parse(visible_part(trusted.tests[gid]))
                if tree is not None:
                    pending[gid] = bound_names(tree)
                continue
            tree = parse(cell.source)
            if tree is None:
                continue
            needed = used_names(tree)
            for test_id, names in pending.items():
                if names & needed:
                    replay[test_id] = visible_part(trusted.tests[test_id])
        return replay

    @staticmethod
    def _close_figures() -> None:
        import sys

        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")


def _error(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
