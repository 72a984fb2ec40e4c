"""Run grading kernels inside a bubblewrap sandbox.

The kernel that executes a student's notebook gets:
- no network (its own empty network namespace);
- a read-only view of the system;
- the course directory hidden (a tmpfs over it), with only the Python environment,
  the helper package and the student's own working folder mounted back, so the
  sources, solutions, gradebook, release and other students' folders are invisible;
- a private writable scratch folder as HOME and /tmp;
- limits on memory (RLIMIT_DATA) and CPU time (RLIMIT_CPU); nbgrader's per-cell
  timeout applies on top.

Kernels talk to nbgrader over Unix sockets (ZeroMQ's ipc transport) in the scratch
folder, because the sandbox has no network, not even loopback to the host.

Where bubblewrap is missing (e.g. macOS) grading refuses to run unless the
instructor sets NNCOURSE_UNSANDBOXED=1, which prints what is left unprotected.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import Integer, Unicode

from nncourse.course import course_root

OPT_OUT = "NNCOURSE_UNSANDBOXED"
UNPROTECTED = (
    "grading WITHOUT a sandbox (NNCOURSE_UNSANDBOXED=1): student code can read the sources, solutions and "
    "gradebook, write to the course directory, and open network connections; memory and CPU are not capped."
)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def sandbox_command(kernel_cmd: list[str], *, workdir: Path, scratch: Path, course_root: Path,
                    memory_mb: int, cpu_seconds: int) -> list[str]:
    """The bubblewrap + prlimit command line that wraps ``kernel_cmd``."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    args = [bwrap, "--die-with-parent", "--unshare-all", "--new-session",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--tmpfs", str(course_root)]
    # Mount back, read-only, what the kernel needs and the tmpfs mounts may have hidden (the course
    # may hold the venv; a checkout may sit under /tmp): its Python and the helper package.
    interpreter = Path(kernel_cmd[0]).resolve().parent.parent if kernel_cmd else Path(sys.prefix)
    needed = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), interpreter,
              Path(__file__).resolve().parents[2]}
    for path in sorted(needed):
        if path != Path("/") and path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(workdir), str(workdir), "--bind", str(scratch), str(scratch),
             # The empty course tmpfs is read-only too: nothing can be written beside the student's folder.
             "--remount-ro", str(course_root), "--chdir", str(workdir),
             "--setenv", "HOME", str(scratch), "--setenv", "TMPDIR", str(scratch),
             "--setenv", "MPLCONFIGDIR", str(scratch / "matplotlib"),
             "--setenv", "IPYTHONDIR", str(scratch / "ipython"),
             "--setenv", "JUPYTER_RUNTIME_DIR", str(scratch / "runtime"),
             # In its own PID namespace the kernel's parent looks like init; without this it would exit at once.
             # --die-with-parent does the parent watching instead.
             "--unsetenv", "JPY_PARENT_PID", "--"]
    limits = ["prlimit", f"--data={memory_mb * 1024 * 1024}", f"--cpu={cpu_seconds}", "--"]
    return args + limits + kernel_cmd


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside bubblewrap (see the module docstring)."""

    memory_mb = Integer(4096, help="Memory cap of a grading kernel in MiB (RLIMIT_DATA).").tag(config=True)
    cpu_seconds = Integer(600, help="CPU-time cap of a grading kernel in seconds (RLIMIT_CPU).").tag(config=True)
    workdir = Unicode("", help="The student's working folder, the only writable course path.").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._scratch = Path(tempfile.mkdtemp(prefix="nncourse-kernel-")).resolve()
        for sub in ("matplotlib", "ipython", "runtime"):
            (self._scratch / sub).mkdir()
        # ZeroMQ over Unix sockets in the scratch folder: the kernel has no network at all.
        self.transport = "ipc"
        self.ip = str(self._scratch / "kernel")
        self.connection_file = str(self._scratch / "kernel.json")

    def format_kernel_cmd(self, extra_arguments=None):
        # Signals sent to bwrap do not reach the kernel inside its PID namespace, so a cell
        # timeout interrupts through the control channel (the kernel then signals itself).
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"
        cmd = super().format_kernel_cmd(extra_arguments)
        if os.environ.get(OPT_OUT) == "1":
            return cmd
        workdir = Path(self.workdir or os.getcwd()).resolve()
        try:
            root = course_root(workdir)
        except FileNotFoundError:  # a notebook outside any course: hide the working directory's tree
            root = Path.cwd().resolve()
        return sandbox_command(cmd, workdir=workdir, scratch=self._scratch, course_root=root,
                               memory_mb=self.memory_mb, cpu_seconds=self.cpu_seconds)

    def cleanup_resources(self, restart=False):
        super().cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._scratch, ignore_errors=True)


def check_sandbox_available() -> None:
    """Refuse to grade without a sandbox unless the instructor opted out (then say what is exposed)."""
    if os.environ.get(OPT_OUT) == "1":
        print(f"WARNING: {UNPROTECTED}", file=sys.stderr)
        return
    if bwrap_path() is None:
        raise SandboxUnavailable(
            "refusing to grade: bubblewrap (bwrap) is not available, so student code would run unprotected. "
            "Install it (Debian/Ubuntu: apt-get install bubblewrap), or set NNCOURSE_UNSANDBOXED=1 to grade "
            "without a sandbox on a machine you trust.")


class SandboxedExecute(Execute):
    """nbgrader's Execute, with each kernel started in the sandbox and in the student's folder."""

    def __init__(self, *args, **kwargs):
        check_sandbox_available()
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        path = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
        if km is None:
            km = SandboxedKernelManager(kernel_name=self.kernel_name or "python3", parent=self, workdir=str(path))
        return super().preprocess(nb, resources, km=km)
