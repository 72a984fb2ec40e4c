"""``JudgedExecute``: nbgrader's Execute step with test cells decided by the judge.

Configured in nbgrader_config.py for ``nbgrader autograde``, the Formgrader and
``make grade``. Every cell that is not a test cell runs in the sandboxed student
kernel, as stock nbgrader would run it; test cells run in ``nncourse.grading.judge``.
Which cells are test cells, and their code, come from the gradebook (the instructor's
copy), never from the submitted notebook.
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async, run_hook
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
    handshake,
    KernelLink,
    bound_names,
    names_bound_by_cells,
    parse,
    used_names,
    visible_part,
)
from nncourse.grading.sandbox import PACKAGE_DIR, SandboxedKernelManager, check_sandbox_available


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


def modules_imported_by(sources) -> list[str]:
    """The absolute modules that trusted code (tests, setup) imports, in order of appearance."""
    found: list[str] = []
    for source in sources:
        tree = parse(source)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Import):
                found += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append(node.module)
    return list(dict.fromkeys(found))


def warm_imports(modules: list[str]) -> threading.Thread | None:
    """Import, in a background thread, the modules the tests will import and this process lacks.

    TensorFlow's import (seconds) then overlaps the student kernel's start and the student's cells;
    the judge waits for the thread before its first statement. A module that fails here is simply
    imported again, and fails visibly, when the test imports it.
    """
    missing = [m for m in modules if m not in sys.modules]
    if not missing:
        return None

    def work():
        for name in missing:
            try:
                importlib.import_module(name)
            except BaseException:  # the test's own import reports it
                pass

    thread = threading.Thread(target=work, name="nncourse-warm-imports", daemon=True)
    thread.start()
    return thread


class KernelsAhead:
    """One sandboxed kernel started ahead for the next notebook of a grading run.

    A kernel takes most of a second to start (bubblewrap, Python, ipykernel). While one
    notebook runs, the next one's kernel boots in a slot: an empty private folder mounted at
    the autograded folder's root (``SandboxedKernelManager.slot_root``). When the next notebook
    comes, its files are copied into the slot and the kernel changes into them, so it sees what
    a kernel started for it would see. A kernel is only started ahead when the running
    ``nbgrader autograde`` has notebooks left, and whatever is left over is shut down when it ends.
    """

    def __init__(self):
        self.remaining = 0  # notebooks of the current conversion run not yet executed
        self.km: SandboxedKernelManager | None = None

    def take(self, kernel_name: str, workdir: str) -> SandboxedKernelManager | None:
        """The kernel started ahead, given to ``workdir``; None when there is none that fits."""
        km, self.km = self.km, None
        if km is None:
            return None
        try:
            if km.kernel_name == kernel_name and km.can_adopt(workdir) and run_sync(km.is_alive)():
                km.adopt(workdir)
                return km
        except Exception:
            pass
        km.stop(now=True)
        return None

    def start(self, parent, kernel_name: str, slot_root: str | None) -> None:
        if self.remaining <= 0 or self.km is not None or slot_root is None:
            return
        km = SandboxedKernelManager(kernel_name=kernel_name, slot_root=slot_root, parent=parent)
        try:
            run_sync(km.start_kernel)(extra_arguments=kernel_arguments(parent), cwd=slot_root)
        except Exception as err:  # the notebook then starts its own kernel, as without this
            parent.log.warning("could not start the next notebook's kernel ahead: %s", err)
            km.stop(now=True)
            return
        self.km = km

    def discard(self) -> None:
        km, self.km = self.km, None
        if km is not None:
            km.stop(now=True)


AHEAD = KernelsAhead()


def kernel_arguments(client) -> list[str]:
    """The extra kernel arguments nbclient would start a kernel with (its in-memory IPython history)."""
    args = list(client.extra_arguments)
    if client.ipython_hist_file and not any(a.startswith("--HistoryManager.hist_file") for a in args):
        args.append(f"--HistoryManager.hist_file={client.ipython_hist_file}")
    return args


def install_kernels_ahead() -> None:
    """Count the notebooks of each ``nbgrader autograde`` run, and stop the kernel started ahead at its end."""
    from nbgrader.converters.base import BaseConverter

    if getattr(BaseConverter.convert_notebooks, "_nncourse_ahead", False):
        return
    original = BaseConverter.convert_notebooks

    def convert_notebooks(self) -> None:
        AHEAD.remaining = sum(len(notebooks) for notebooks in getattr(self, "assignments", {}).values())
        try:
            return original(self)
        finally:
            AHEAD.remaining = 0
            AHEAD.discard()

    convert_notebooks._nncourse_ahead = True
    BaseConverter.convert_notebooks = convert_notebooks


# bubblewrap sets PWD to the folder it starts the kernel in; a kernel started ahead moves later.
CHDIR = ("import os as _nncourse_os\n_nncourse_os.chdir({path!r})\n_nncourse_os.environ['PWD'] = {path!r}\n"
         "del _nncourse_os\n")


def slot_root_for(workdir: str) -> str | None:
    """The folder a kernel's private working folder is mounted at: the student folders' common root
    (``autograded/`` for ``autograded/<student>/<id>``), so every kernel, started ahead or not, sees
    the same tree. None where that root is not a plain folder that holds nothing the kernel needs."""
    root = Path(os.path.abspath(workdir)).parent.parent
    needed = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), PACKAGE_DIR]
    if len(root.parts) < 3 or root.is_symlink() or not root.is_dir():
        return None
    if any(root == p or root in p.parents for p in needed):
        return None
    return str(root)


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
    notebook_seconds = Integer(900, help="Wall-clock budget of the student's own cells of one notebook, in "
                                         "seconds, summed over the cells: once it is spent, the student's later "
                                         "cells are not run (the tests still are, each within its timeout), and "
                                         "the feedback says so. 0: no budget.").tag(
        config=True)

    def __init__(self, *args, **kwargs):
        check_sandbox_available()
        super().__init__(*args, **kwargs)
        cap_own_memory(self.judge_memory_mb)
        # The kernel's state is thrown away with its scratch folder: no need to wait for a clean exit.
        self.shutdown_kernel = "immediate"

    async def async_start_new_kernel_client(self):
        # Connect the judge's own client while nbclient waits for the kernel, so both handshakes overlap.
        self._early_link = KernelLink(self.km, timeout=self.timeout or 60, log=self.log, wait=False)
        # nbclient's own, with the handshake that does not wait out a quiet IOPub (see judge.handshake).
        try:
            self.kc = self.km.client()
            await ensure_async(self.kc.start_channels())
            self._kernel_info = await handshake(self.kc, self.km, self.startup_timeout)
        except Exception as err:
            self.log.error("could not connect to the kernel: %s", err)
            await self._async_cleanup_kernel()
            raise
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def create_kernel_manager(self):
        # The notebook's own kernel (nbgrader resets it to the source's), never silently replaced.
        self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or "python3"
        workdir = str(self.resources.get("metadata", {}).get("path") or os.getcwd())
        self.km = AHEAD.take(self.kernel_name, workdir)
        self._adopted = self.km is not None
        if self._adopted:
            self.log.debug("using the kernel started ahead, in %s", workdir)
        if self.km is None:
            self.km = SandboxedKernelManager(kernel_name=self.kernel_name, workdir=workdir,
                                             slot_root=slot_root_for(workdir) or "", parent=self)
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
        warming = warm_imports(modules_imported_by([*trusted.tests.values(), *trusted.setup.values()]))
        AHEAD.remaining -= 1
        self._adopted, self._kernel_info = False, None
        with self.setup_kernel():
            AHEAD.start(self, self.kernel_name, slot_root_for(workdir))
            reply = self._kernel_info  # from the handshake of nbclient's client
            if reply is not None and "language_info" in reply["content"]:
                self.nb.metadata["language_info"] = reply["content"]["language_info"]
            link = getattr(self, "_early_link", None) or KernelLink(self.km, timeout=self.timeout or 60, log=self.log)
            self._early_link = None
            link.ready()
            try:
                if self._adopted:  # started ahead in an empty slot: move into this student's copy first
                    link.run_code(CHDIR.format(path=workdir))
                link.run_code(BOOTSTRAP.format(source=AGENT_SOURCE))
                if warming is not None:
                    warming.join()
                judge = Judge(link, student_owned=owned, workdir=workdir, log=self.log,
                              test_names=names_bound_by_cells(trusted.tests.values()))
                self._run_cells(judge, link, trusted, order)
                if self._out_of_time:
                    add_notice(self.nb, [self._out_of_time])
                if link.dead:  # shown at the top of the feedback, and read by `make grade`'s summary
                    memory = getattr(self.km, "stopped_by_watch", None)
                    add_notice(self.nb, [f"{memory}; the tests after that point scored 0" if memory else
                                         self.resources.get("nncourse_dead", "the student kernel died or stopped "
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
        # Each cell has its timeout, but a student may add cells: a thousand that each sleep just under it would hold
        # the class's grading for hours (red team, 2026-12-04). The tests are the instructor's, so they still run.
        self._out_of_time = None
        spent = 0.0
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
                        link.run_code(replay[gid], wait=self.timeout or None)  # None: the link's REPLY_WAIT
                    except KernelGone:
                        pass
                continue
            if cell.cell_type != "code":
                continue
            if link.dead:
                cell.outputs = [_error("KernelGone", "the student kernel had stopped before this cell ran")]
                continue
            if 0 < self.notebook_seconds < spent:
                self._out_of_time = self._out_of_time or (
                    f"the student's cells ran for more than the {self.notebook_seconds} s they may take in all; "
                    f"from cell {index + 1} on they were not run")
                cell.outputs = [_error("TimeoutError", self._out_of_time)]
                continue
            started = time.monotonic()
            try:
                self.preprocess_cell(cell, self.resources, index)
            except DeadKernelError:
                link.dead = True
                cell.outputs.append(_error("DeadKernelError", "the student kernel died while running this cell"))
                self.resources["nncourse_dead"] = (f"the student kernel died while running cell {index + 1}; "
                                                   "the tests after it scored 0")
                continue
            finally:
                spent += time.monotonic() - started
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
