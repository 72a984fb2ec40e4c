"""Run grading kernels inside a bubblewrap sandbox that shows an allow-list of the host.

The kernel that executes a student's notebook sees, and only sees:
- read-only: /usr and the /bin, /sbin, /lib, /lib64 symlinks (or folders), a handful of
  /etc files the dynamic loader, fonts, time zones and SSL need (``ETC_ALLOWED``), a
  minimal passwd/group of its own, the interpreter prefixes of the kernelspec's
  ``argv[0]`` (the venv and the Python it was made from), this process's ``sys.prefix``
  and ``sys.base_prefix``, and the helper package folder (``src/nncourse``);
- writable, all private and discarded at cleanup: HOME, /tmp, the folder of ZeroMQ's
  ipc sockets and the connection file, and a working folder that is a FRESH COPY of the
  regular files of ``workdir`` (symlinks, devices, fifos and sockets are skipped, never
  followed). The copy is mounted at ``workdir``'s own path and is the kernel's cwd, so
  paths look as before, but nothing the kernel writes reaches nbgrader's folders;
- a minimal /dev and its own /proc; no /run, no host /tmp or /var/tmp, no home, no
  other checkout or course, no host sockets, no network (an empty network namespace);
- a cleared environment (``kernel_environment``): PATH, HOME, TMPDIR, locale, the
  Matplotlib/IPython/Jupyter folders, PYTHONHASHSEED, TF_* and thread settings if set,
  NBGRADER_EXECUTION, and what the kernelspec's ``env`` asks for;
- no capabilities, limits on memory (RLIMIT_DATA) and CPU time (RLIMIT_CPU); nbgrader's
  per-cell timeout applies on top.

The scratch folder (nncourse-kernel-* in the temp dir) is removed when the kernel is shut
down; one left by a grading process that was killed is swept at the next kernel start.

A kernel can also be started before its student is known (``slot_root``, used to start the
next notebook's kernel while one runs): its private working folder is then mounted, empty,
at ``slot_root`` (the autograded folder), and ``adopt(workdir)`` copies one student's folder
to the same path inside it, where the kernel is then told to change. It sees what a kernel
started for that student sees, and no other student's folder.

The kernel named by the notebook is used (jupyter_client resolves it); a missing one
raises jupyter_client's ``NoSuchKernel`` naming it, before anything is created.

Where bubblewrap is missing (e.g. macOS) grading refuses to run unless the
instructor sets NNCOURSE_UNSANDBOXED=1, which prints what is left unprotected.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import weakref
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute
from traitlets import Integer, Unicode

from nncourse.grading.harden import copy_regular_file, walk_no_follow

OPT_OUT = "NNCOURSE_UNSANDBOXED"
UNPROTECTED = (
    "grading WITHOUT a sandbox (NNCOURSE_UNSANDBOXED=1): student code can read the sources, solutions and "
    "gradebook, write to the course directory, and open network connections; memory and CPU are not capped."
)

SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What Python, NumPy, Matplotlib (fonts), time zones and ssl read from /etc. Nothing else of /etc.
ETC_ALLOWED = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts", "localtime", "timezone",
               "nsswitch.conf", "host.conf", "hosts", "gai.conf", "mime.types", "ssl/certs", "ssl/openssl.cnf")
# Environment variables passed into the kernel when the grader has them. Exact names: a TF_ prefix would
# also pass Terraform's TF_TOKEN_* / TF_VAR_* secrets.
ENV_PASSED = ("PYTHONHASHSEED", "NBGRADER_EXECUTION", "KERAS_BACKEND", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS",
              "TF_DETERMINISTIC_OPS", "TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_USE_LEGACY_KERAS",
              "TF_FORCE_GPU_ALLOW_GROWTH", "TF_GPU_ALLOCATOR", "TF_XLA_FLAGS", "CUDA_VISIBLE_DEVICES")
LOCALE = "C.UTF-8"
UNIX_PATH_MAX = 100  # sun_path is 108 bytes; ipc socket names add "-<n>"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # src/nncourse


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def interpreter_prefixes(argv0: str) -> list[Path]:
    """The folders a kernel's interpreter needs: its (venv) prefix and the Python it was made from."""
    found = shutil.which(argv0) if not os.path.isabs(argv0) else argv0
    if not found:
        return []
    exe = Path(os.path.abspath(found))
    prefixes = [exe.parent.parent, exe.resolve().parent.parent]
    cfg = exe.parent.parent / "pyvenv.cfg"
    if cfg.is_file():
        for line in cfg.read_text(errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                prefixes.append(Path(value.strip()).resolve().parent)
    # Only folders that are Python prefixes: a python in ~/bin must not expose the whole home.
    return [p for p in prefixes if _is_python_prefix(p)]


def _is_python_prefix(path: Path) -> bool:
    if path in (Path("/"), Path.home(), Path("/home"), Path("/root")):
        return False
    return (path / "pyvenv.cfg").is_file() or any((path / "lib").glob("python3*")) or \
        (path / "conda-meta").is_dir()


def _minimal(paths) -> list[Path]:
    """Existing folders, without duplicates, "/" or folders inside another one (or inside /usr)."""
    out: list[Path] = []
    for p in sorted({Path(p) for p in paths}, key=lambda p: (len(p.parts), str(p))):
        if p == Path("/") or not p.is_dir():
            continue
        if any(p == q or q in p.parents for q in out) or Path("/usr") in p.parents or p == Path("/usr"):
            continue
        out.append(p)
    return out


def kernel_environment(*, home: Path, interpreter_bin: Path | None, spec_env: dict[str, str] | None = None,
                       source: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed kernel (everything else of the grader's is cleared)."""
    source = os.environ if source is None else source
    path = [str(interpreter_bin)] if interpreter_bin else []
    env = {"PATH": os.pathsep.join(path + ["/usr/local/bin", "/usr/bin", "/bin"]),
           "HOME": str(home), "TMPDIR": "/tmp", "LANG": LOCALE, "LC_ALL": LOCALE, "PYTHONNOUSERSITE": "1",
           "MPLCONFIGDIR": str(home / ".config" / "matplotlib"), "IPYTHONDIR": str(home / ".ipython"),
           "JUPYTER_RUNTIME_DIR": str(home / ".local" / "share" / "jupyter" / "runtime")}
    for name, value in source.items():
        if name in ENV_PASSED:
            env[name] = value
    env.update(spec_env or {})
    return env


def copy_workdir(workdir: Path, target: Path) -> list[str]:
    """Copy the regular files and folders of ``workdir`` into ``target``; the entries skipped, with why."""
    skipped = []
    target.mkdir(parents=True, exist_ok=True)
    if workdir.is_symlink() or not workdir.is_dir():
        return [f"{workdir}: not a real folder, nothing copied"]
    for rel, kind in walk_no_follow(workdir):
        if kind == "dir":
            (target / rel).mkdir(exist_ok=True)
        elif kind == "file":
            if not copy_regular_file(workdir / rel, target / rel):
                skipped.append(f"{rel.as_posix()}: not a regular file")
        else:
            skipped.append(f"{rel.as_posix()}: {kind}")
    return skipped


def _write_identity(etc: Path, home: Path) -> None:
    uid, gid = os.getuid(), os.getgid()
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "passwd").write_text(f"grader:x:{uid}:{gid}:grader:{home}:/usr/sbin/nologin\n"
                                + ("" if uid == 65534 else "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"))
    (etc / "group").write_text(f"grader:x:{gid}:\n" + ("" if gid == 65534 else "nogroup:x:65534:\n"))


def sandbox_command(kernel_cmd: list[str], *, workdir: Path, scratch: Path, memory_mb: int, cpu_seconds: int,
                    env: dict[str, str], extra_ro: list[Path] = (), cwd: Path | None = None,
                    disk_mb: int = 0) -> list[str]:
    """The bubblewrap + prlimit command line that wraps ``kernel_cmd``.

    ``scratch`` holds ``conn/`` (connection file and ipc sockets, same path on both sides),
    ``home/``, ``tmp/`` (the kernel's /tmp), ``work/`` (the copy of ``workdir``, mounted at
    ``workdir``) and ``etc/`` (passwd and group).
    """
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    args = [bwrap, "--die-with-parent", "--unshare-all", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_ALLOWED:
        path = Path("/etc") / name
        if path.is_symlink() and os.path.realpath(path).startswith("/usr/"):
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.exists():
            args += ["--ro-bind", str(path), str(path)]
    args += ["--ro-bind", str(scratch / "etc" / "passwd"), "/etc/passwd",
             "--ro-bind", str(scratch / "etc" / "group"), "/etc/group"]
    interpreter = interpreter_prefixes(kernel_cmd[0]) if kernel_cmd else []
    needed = [*interpreter, Path(sys.prefix), Path(sys.base_prefix), Path(sys.prefix).resolve(),
              Path(sys.base_prefix).resolve(), PACKAGE_DIR, *extra_ro]
    args += ["--dev", "/dev", "--proc", "/proc", "--bind", str(scratch / "tmp"), "/tmp"]
    # A working folder under /tmp would get its parent folders made in the private, writable /tmp:
    # put them on a tmpfs of their own that is then made read-only, like the rest of the tree.
    anchor = None
    if Path("/tmp") in workdir.parents and len(workdir.relative_to("/tmp").parts) > 1:
        anchor = Path("/tmp") / workdir.relative_to("/tmp").parts[0]
        args += ["--tmpfs", str(anchor)]
    # After /tmp and the anchor, so that a venv or checkout under /tmp (a CI clone) is not hidden by them.
    for path in _minimal(needed):
        args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(scratch / "home"), str(scratch / "home"),
             "--bind", str(scratch / "conn"), str(scratch / "conn"),
             "--bind", str(scratch / "work"), str(workdir)]
    if anchor is not None:
        args += ["--remount-ro", str(anchor)]
    # bwrap's own root (where the mount points above were made) is read-only too.
    args += ["--remount-ro", "/", "--chdir", str(cwd or workdir)]
    for name, value in env.items():
        args += ["--setenv", name, value]
    args.append("--")
    prlimit = shutil.which("prlimit") or "/usr/bin/prlimit"
    limits = [prlimit, f"--data={memory_mb * 1024 * 1024}", f"--cpu={cpu_seconds}",
              *([f"--fsize={disk_mb * 1024 * 1024 // 2}"] if disk_mb > 0 else []), "--"]  # one file: half the cap
    return args + limits + kernel_cmd


OWNER = "owner.pid"


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, read from /proc (children files, else a scan of every process)."""
    def children_of(p: int) -> list[int]:
        found: list[int] = []
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    found += [int(c) for c in fh.read().split()]
            return found
        except (OSError, ValueError):
            return found

    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += children_of(p)
    return tree


def tree_memory_bytes(pid: int) -> int:
    """Memory of a process tree: the sum of proportional set sizes (shared pages split between sharers)."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):
            continue
    return total


def folder_usage(root: Path, max_entries: int) -> tuple[int, int]:
    """(bytes on disk, entries) under ``root``, without following symlinks; stops counting past ``max_entries``."""
    used, entries, todo = 0, 0, [str(root)]
    while todo and entries <= max_entries:
        try:
            with os.scandir(todo.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    used += info.st_blocks * 512  # what the disk holds: a sparse file costs what it wrote
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
        except OSError:
            continue
    return used, entries


class MemoryWatch:
    """Kill a sandbox whose processes together use more than ``limit_mb``, or whose files more than ``disk_mb``.

    RLIMIT_DATA caps each process; a kernel that forks could otherwise hold the cap many times
    over (red team, round 3). Its writable folders (HOME, /tmp, the working copy) are host folders
    under the scratch folder: without a cap, one cell wrote 2 GiB in 8 s, and a full disk fails
    every other student's gradebook write (red team, 2026-12-04). Polled every ``interval`` seconds
    from a thread of the grader (the files every fourth time); RLIMIT_FSIZE (half the cap) bounds one
    file between polls.
    """

    MAX_ENTRIES = 100_000  # files and folders: a tree of tiny files fills a disk's inodes instead

    def __init__(self, pid: int, limit_mb: int, log, interval: float = 0.25, scratch: Path | None = None,
                 disk_mb: int = 0):
        self.pid, self.limit, self.log, self.interval = pid, limit_mb * 1024 * 1024, log, interval
        self.scratch, self.disk_limit = scratch, disk_mb * 1024 * 1024
        self.exceeded: int | None = None  # bytes in use when the sandbox was stopped for memory
        self.disk_exceeded: str | None = None  # what its files held when it was stopped for them
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nncourse-memory-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        polls = 0
        while not self._stop.wait(self.interval):
            polls += 1
            used = tree_memory_bytes(self.pid) if self.limit > 0 else 0
            if used > self.limit > 0:
                self.exceeded = used
                self._kill()
                self.log.warning("sandbox: the kernel's processes used %d MiB together, over the cap of %d MiB; "
                                 "the kernel was stopped", used // 2**20, self.limit // 2**20)
                return
            if self.scratch is not None and self.disk_limit > 0 and polls % 4 == 1:
                on_disk, entries = folder_usage(self.scratch, self.MAX_ENTRIES)
                if on_disk > self.disk_limit or entries > self.MAX_ENTRIES:
                    self.disk_exceeded = (f"{on_disk // 2**20} MiB in {entries:,}{'+' if entries > self.MAX_ENTRIES else ''} "
                                          f"files and folders")
                    self._kill()
                    self.log.warning("sandbox: the kernel's files held %s, over the cap of %d MiB or %d entries; "
                                     "the kernel was stopped", self.disk_exceeded, self.disk_limit // 2**20,
                                     self.MAX_ENTRIES)
                    return

    def _kill(self) -> None:
        for p in reversed(process_tree(self.pid)):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()


def sweep_stale_scratch(folders: list[Path] | None = None) -> list[Path]:
    """Remove scratch folders whose grading process is gone (a worker killed with -9 cannot clean up)."""
    removed = []
    roots = {Path(tempfile.gettempdir()), Path("/tmp")}
    for folder in folders if folders is not None else [p for r in roots for p in r.glob("nncourse-kernel-*")]:
        try:
            pid = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue  # not ours, or still being created
        try:
            os.kill(pid, 0)
            continue  # alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # another user's live process
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside bubblewrap (see the module docstring).

    ``SandboxedKernelManager(kernel_name=..., workdir=..., parent=...)``; after
    ``shutdown_kernel()`` (or ``cleanup_resources()``) the scratch folder is gone.
    """

    memory_mb = Integer(4096, help="Memory cap of a grading kernel in MiB: each process's RLIMIT_DATA, and "
                                   "the sum over all the kernel's processes (watched; 0 turns the watch off).").tag(
        config=True)
    cpu_seconds = Integer(600, help="CPU-time cap of a grading kernel in seconds (RLIMIT_CPU).").tag(config=True)
    disk_mb = Integer(2048, help="Cap in MiB on what a grading kernel's files (its working copy, HOME and /tmp) "
                                 "hold together (watched: the kernel is stopped), with at most 100,000 files and "
                                 "folders; one file may reach half of it (RLIMIT_FSIZE: a larger write fails with "
                                 "'File too large' and the kernel goes on). 0 turns both off.").tag(config=True)
    workdir = Unicode("", help="The student's folder; the kernel works in a fresh copy of its regular files.").tag(
        config=True)
    slot_root = Unicode("", help="Start the kernel before its student is known: a private, empty folder is "
                                 "mounted at this path, and ``adopt(workdir)`` later copies a folder inside it "
                                 "there (the kernel then changes into it).")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._scratch: Path | None = None
        self._finalizer = None
        self.skipped_entries: list[str] = []
        # ZeroMQ over Unix sockets in the scratch folder: the kernel has no network at all.
        self.transport = "ipc"

    @property
    def scratch(self) -> Path | None:
        """The private folder of the current kernel (None before start and after cleanup)."""
        return self._scratch

    def _make_scratch(self) -> None:
        if self._scratch is not None:
            return
        sweep_stale_scratch()
        scratch = Path(tempfile.mkdtemp(prefix="nncourse-kernel-")).resolve()
        if len(str(scratch / "conn" / "kernel-0")) > UNIX_PATH_MAX:  # ZeroMQ's ipc paths are Unix socket paths
            shutil.rmtree(scratch, ignore_errors=True)
            scratch = Path(tempfile.mkdtemp(prefix="nncourse-kernel-", dir="/tmp")).resolve()
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(scratch), True)
        for sub in ("conn", "home", "tmp", "work", "etc", "home/.config/matplotlib", "home/.ipython",
                    "home/.local/share/jupyter/runtime"):
            (scratch / sub).mkdir(parents=True, exist_ok=True)
        _write_identity(scratch / "etc", scratch / "home")
        (scratch / OWNER).write_text(str(os.getpid()))
        self._scratch = scratch
        self.ip = str(scratch / "conn" / "kernel")
        self.connection_file = str(scratch / "conn" / "kernel.json")
        if os.environ.get(OPT_OUT) != "1":
            if not self.slot_root:
                self._copy_in(self._workdir(), scratch / "work")
            elif self.workdir:  # a slot kernel whose student is known at start
                self._copy_in(self._workdir(), scratch / "work" / self._workdir().relative_to(self._mount_point()))

    def _copy_in(self, workdir: Path, target: Path) -> None:
        self.skipped_entries = copy_workdir(workdir, target)
        for entry in self.skipped_entries:
            self.log.warning("sandbox: not copied into the kernel's folder: %s", entry)

    def _workdir(self) -> Path:
        return Path(os.path.abspath(self.workdir or os.getcwd()))

    def _mount_point(self) -> Path:
        """Where the kernel's private working folder appears inside the sandbox."""
        return Path(os.path.abspath(self.slot_root)) if self.slot_root else self._workdir()

    def can_adopt(self, workdir: str | os.PathLike) -> bool:
        """Whether this (slot) kernel, not yet given a student, can work in ``workdir``."""
        if not self.slot_root or self.workdir or self._scratch is None:
            return False
        return self._mount_point() in Path(os.path.abspath(workdir)).parents

    def adopt(self, workdir: str | os.PathLike) -> Path:
        """Give a slot kernel its student: copy ``workdir``'s regular files to the same path inside the
        sandbox. The caller then changes the kernel's working folder to the returned path."""
        if not self.can_adopt(workdir):
            raise ValueError(f"this kernel cannot work in {workdir}")
        path = Path(os.path.abspath(workdir))
        self.workdir = str(path)
        if os.environ.get(OPT_OUT) != "1":
            self._copy_in(path, self._scratch / "work" / path.relative_to(self._mount_point()))
        return path

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        process = getattr(self.provisioner, "process", None)
        if process is not None and os.environ.get(OPT_OUT) != "1" and (self.memory_mb > 0 or self.disk_mb > 0):
            self.memory_watch = MemoryWatch(process.pid, self.memory_mb, self.log, scratch=self._scratch,
                                            disk_mb=self.disk_mb)

    @property
    def stopped_by_watch(self) -> str | None:
        """Why the watch stopped this kernel (its memory or its files), or None."""
        watch = getattr(self, "memory_watch", None)
        if watch is not None and watch.exceeded is not None:
            return (f"the student kernel's processes used {watch.exceeded // 2**20} MiB together, over the cap of "
                    f"{self.memory_mb} MiB, and it was stopped")
        if watch is not None and watch.disk_exceeded is not None:
            return (f"the student kernel's files held {watch.disk_exceeded}, over the cap of {self.disk_mb} MiB "
                    f"or {watch.MAX_ENTRIES:,} entries, and it was stopped")
        return None

    async def _async_pre_start_kernel(self, **kw):
        _ = self.kernel_spec  # raises jupyter_client's NoSuchKernel (with the name) before anything is made
        self._make_scratch()
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        # Signals sent to bwrap do not reach the kernel inside its PID namespace, so a cell
        # timeout interrupts through the control channel (the kernel then signals itself).
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"
        cmd = super().format_kernel_cmd(extra_arguments)
        if os.environ.get(OPT_OUT) == "1":
            return cmd
        spec_env = {k: v.replace("{connection_file}", self.connection_file)
                    for k, v in (self.kernel_spec.env or {}).items()}
        argv0 = shutil.which(cmd[0]) or cmd[0]
        env = kernel_environment(home=self._scratch / "home", interpreter_bin=Path(argv0).parent, spec_env=spec_env)
        return sandbox_command(cmd, workdir=self._mount_point(), cwd=self._workdir() if self.workdir else None,
                               scratch=self._scratch, memory_mb=self.memory_mb,
                               cpu_seconds=self.cpu_seconds, env=env, disk_mb=self.disk_mb)

    def stop(self, now: bool = True) -> None:
        """Shut the kernel down (killing it when it does not answer) and remove its scratch folder, from
        synchronous code. Idempotent."""
        from jupyter_core.utils import run_sync

        async def stop():
            try:
                if self.has_kernel:
                    await self.shutdown_kernel(now=now)
            except Exception as err:  # a dead or unresponsive kernel: kill it
                self.log.warning("sandbox: kernel shutdown failed (%s); killing it", err)
                try:
                    await self._async_kill_kernel()
                except Exception:
                    pass
            finally:
                await self.cleanup_resources()

        try:
            run_sync(stop)()
        finally:
            self.discard_scratch()

    def discard_scratch(self) -> None:
        """Remove the scratch folder (the kernel's copy, HOME, /tmp, sockets). Idempotent."""
        if self._finalizer is not None:
            self._finalizer()
        self._finalizer = None
        self._scratch = None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        # shutdown_kernel() calls this one directly, so it is the hook for both paths.
        watch = getattr(self, "memory_watch", None)
        if watch is not None and not restart:
            watch.stop()
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.discard_scratch()

    cleanup_resources = _async_cleanup_resources

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # jupyter_client checks a killed kernel every 0.1 s; it is gone within milliseconds, and
        # the grader waits on this once per notebook.
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))


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
        if km is not None:  # the caller owns it, and shuts it down
            return super().preprocess(nb, resources, km=km)
        path = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
        # The notebook's kernel (OverwriteKernelspec has reset it to the release's), as nbclient would pick it.
        name = self.kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
        km = SandboxedKernelManager(kernel_name=name, parent=self, workdir=str(path))
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            # nbclient only shuts down kernels of managers it created itself.
            self._shutdown(km)

    def _shutdown(self, km: SandboxedKernelManager) -> None:
        km.stop(now=False)
