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
from jupyter_core.utils import run_sync
from traitlets import Integer

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


def instructor_source(config, assignment: str, notebook: str):
    """The instructor's source notebook, or None when this course has no copy of it."""
    from nbgrader.coursedir import CourseDirectory

    try:
        coursedir = CourseDirectory(config=config)
        path = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / f"{notebook}.ipynb"
        return nbformat.read(path, as_version=4)
    except Exception:
        return None


def student_owned_names(source, answer_ids: set[str]) -> set[str]:
    """Names the instructor's own answers bind: the judge always asks the kernel for these."""
    if source is None:  # no instructor source here: every setup name stays the judge's
        return set()
    return names_bound_by_cells(c.source for c in source.cells
                                if c.cell_type == "code" and _grade_id(c) in answer_ids)


def cap_own_memory(megabytes: int) -> None:
    """Lower this process's data limit (RLIMIT_DATA), so a huge allocation asked for by student code
    through a callback fails with MemoryError instead of getting the grading process killed."""
    import resource

    if megabytes <= 0:
        return
    limit = megabytes * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_DATA, (min(limit, hard) if hard != resource.RLIM_INFINITY else limit, hard))


class JudgedExecute(Execute):
    """Run a submission: student cells in the sandboxed kernel, test cells in the judge."""

    judge_memory_mb = Integer(8192, help="Data limit (RLIMIT_DATA) of the grading process that hosts the judge, "
                                         "in MiB; 0 leaves it alone.").tag(config=True)

    def __init__(self, *args, **kwargs):
        check_sandbox_available()
        super().__init__(*args, **kwargs)
        cap_own_memory(self.judge_memory_mb)
        # The kernel's state is thrown away with its scratch folder: no need to wait for a clean exit.
        self.shutdown_kernel = "immediate"

    async def async_start_new_kernel_client(self):
        # Connect the judge's own client while nbclient waits for the kernel, so both handshakes overlap.
        self._early_link = KernelLink(self.km, timeout=self.timeout or 60, log=self.log, wait=False)
        return await super().async_start_new_kernel_client()

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

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
        source = instructor_source(self.config, info["assignment"], info["notebook"])
        owned = student_owned_names(source, trusted.answers)
        order = [_grade_id(c) for c in source.cells] if source is not None else []
        workdir = str(self.resources.get("metadata", {}).get("path") or os.getcwd())
        with self.setup_kernel():
            reply = self.wait_for_reply(self.kc.kernel_info())
            if reply is not None and "language_info" in reply["content"]:
                self.nb.metadata["language_info"] = reply["content"]["language_info"]
            link = getattr(self, "_early_link", None) or KernelLink(self.km, timeout=self.timeout or 60, log=self.log)
            self._early_link = None
            link.kc.wait_for_ready(timeout=60)
            try:
                link.run_code(BOOTSTRAP.format(source=AGENT_SOURCE))
                judge = Judge(link, student_owned=owned, workdir=workdir, log=self.log,
                              test_names=names_bound_by_cells(trusted.tests.values()))
                self._run_cells(judge, link, trusted, order)
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

    def _run_cells(self, judge: Judge, link: KernelLink, trusted: TrustedCells, order: list) -> None:
        """Every cell in the student's order; the judge's setup statements in the instructor's order.

        The judge runs the setup cells from the gradebook, each before the first test that follows it
        in the instructor's source, wherever the student moved, untagged or deleted them.
        """
        position = {gid: i for i, gid in enumerate(order) if gid}
        setup_queue = [gid for gid in order if gid in trusted.setup]
        setup_queue += [gid for gid in trusted.setup if gid not in setup_queue]  # not in the source: at once

        def run_setup_before(test_id: str | None) -> None:
            limit = position.get(test_id, len(order)) if test_id is not None else len(order) + 1
            while setup_queue and position.get(setup_queue[0], -1) < limit:
                judge.run_setup(trusted.setup[setup_queue.pop(0)])

        replay = self._visible_replays(trusted)
        for index, cell in enumerate(self.nb.cells):
            gid = _grade_id(cell)
            if gid in trusted.tests and cell.cell_type == "code":
                cell.source = trusted.tests[gid]
                if link.dead:
                    cell.outputs = [_error("KernelGone", "the student kernel had stopped before this test ran")]
                    continue
                run_setup_before(gid)
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
            if gid in trusted.setup and gid in setup_queue and not order:
                setup_queue.remove(gid)  # no instructor source to order by: run it where it stands
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
