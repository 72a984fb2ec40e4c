"""The grading sandbox is an allow-list, and nbgrader never follows a student's symlink (issue 10).

A kernel started by ``SandboxedKernelManager`` is probed from inside with nbclient; then
real ``nbgrader autograde`` / ``generate_feedback`` run on a temporary course whose config
also calls ``nncourse.grading.harden.install()``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from course import REPO, copy_course, nbgrader
from nncourse.instructor.course import venv_env

AID = "gradient_descent"

pytestmark = pytest.mark.skipif(not Path("/usr/bin/bwrap").exists() and os.environ.get("CI") != "true",
                                reason="bubblewrap is not installed (CI installs it through .ci/system-packages)")


def run_in_sandbox(workdir: Path, code: str, kernel_name: str = "python3") -> str:
    """Run ``code`` in a sandboxed kernel working on ``workdir``; its stdout."""
    from nbclient import NotebookClient

    from nncourse.grading.sandbox import SandboxedKernelManager

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    km = SandboxedKernelManager(kernel_name=kernel_name, workdir=str(workdir))
    try:
        NotebookClient(nb, km=km, timeout=60, resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        km.stop(now=True)
    assert km.scratch is None
    out = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream")
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert not errors, errors
    return out


PROBE = r'''
import json, os, socket, sys
def exists(p):
    return os.path.lexists(p)
def connect(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path); return "connected"
    except OSError as e:
        return type(e).__name__
    finally:
        s.close()
def write(p):
    try:
        with open(p, "w") as fh: fh.write("from the kernel")
        return True
    except OSError:
        return False
with open("data.txt", "a") as fh:
    fh.write("changed by the kernel")
result = {
    "wrote_here": write("written.txt"), "wrote_beside": write(os.path.join("..", "beside.txt")),
    "env": dict(os.environ), "cwd": os.getcwd(), "listing": sorted(os.listdir(".")),
    "executable": sys.executable,
    "visible": {p: exists(p) for p in PATHS},
    "socket": connect(SOCKET),
    "root": sorted(os.listdir("/")), "etc": sorted(os.listdir("/etc")), "home": sorted(os.listdir("/root"))
             if os.path.isdir("/root") else [],
}
print(json.dumps(result))
'''


@pytest.fixture
def host(tmp_path):
    """A course with a student's folder, a HOME-like folder and a second course beside it, a host socket."""
    course = tmp_path / "course"
    (course / "assignments" / AID).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    (course / "gradebook.db").write_text("grades")
    (course / "assignments" / AID / f"{AID}.ipynb").write_text("solutions")
    work = course / "autograded" / "alice" / AID
    (work / "sub").mkdir(parents=True)
    (work / "data.txt").write_text("original")
    (work / "sub" / "nested.txt").write_text("nested")
    other_student = course / "autograded" / "bob" / AID
    other_student.mkdir(parents=True)
    (other_student / "bob.txt").write_text("bob's work")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text("machine db password hunter2")
    other = tmp_path / "other-course"
    (other / "assignments").mkdir(parents=True)
    (other / "assignments" / "exam.ipynb").write_text("other course")
    os.symlink(course / "gradebook.db", work / "grades-link")
    os.symlink(course / "assignments", work / "source-link")
    os.mkfifo(work / "fifo")
    sockdir = Path(tempfile.mkdtemp(prefix="nncourse-test-sock-", dir="/tmp"))
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sockdir / "db.sock"))
    server.listen(5)
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    yield {"course": course, "work": work, "home": home, "other": other, "bob": other_student,
           "socket": sockdir / "db.sock", "accepted": accepted}
    server.close()
    for p in sockdir.iterdir():
        p.unlink()
    sockdir.rmdir()


def test_kernel_sees_an_allow_list_only(host, monkeypatch):
    monkeypatch.setenv("NNCOURSE_TEST_SECRET", "s3cr3t-token")
    monkeypatch.setenv("PGPASSWORD", "hunter2")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    work = host["work"]
    before = {p.relative_to(work): p.read_bytes() for p in work.rglob("*") if p.is_file() and not p.is_symlink()
              and stat.S_ISREG(p.lstat().st_mode)}
    paths = {
        "home_file": str(host["home"] / ".netrc"), "other_course": str(host["other"] / "assignments" / "exam.ipynb"),
        "gradebook": str(host["course"] / "gradebook.db"), "source": str(host["course"] / "assignments"),
        "other_student": str(host["bob"]), "repo_readme": str(REPO / "README.md"), "repo_git": str(REPO / ".git"),
        "repo_assignments": str(REPO / "assignments"), "shadow": "/etc/shadow", "run": "/run", "var_tmp": "/var/tmp",
        "host_home": str(Path.home() / ".bash_history"), "var": "/var", "sys": "/sys", "socket_dir": str(host["socket"]),
        "etc_hostname": "/etc/hostname", "ssl_private": "/etc/ssl/private",
    }
    code = f"PATHS = {json.dumps(paths)}\nSOCKET = {str(host['socket'])!r}\n" + PROBE
    result = json.loads(run_in_sandbox(work, code).strip().splitlines()[-1])

    env = result["env"]
    assert "NNCOURSE_TEST_SECRET" not in env and "PGPASSWORD" not in env
    assert "s3cr3t-token" not in json.dumps(env) and "hunter2" not in json.dumps(env)
    assert env["OMP_NUM_THREADS"] == "1"  # the course's thread settings pass
    assert env["HOME"] != str(Path.home()) and env["TMPDIR"] == "/tmp"
    assert not any(result["visible"].values()), result["visible"]
    assert result["socket"] in ("FileNotFoundError", "ConnectionRefusedError", "PermissionError"), result["socket"]
    assert not host["accepted"], "the kernel reached a Unix socket on the host"
    # The system folders, plus the top folder of the checkout and of the Python environment (CI clones to /check/...).
    allowed = {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "root", "sbin", "tmp", "usr"}
    allowed |= {Path(p).resolve().parts[1] for p in (REPO, sys.prefix, sys.base_prefix, work)}
    assert result["root"] == sorted(set(result["root"]) & allowed), result["root"]
    assert "shadow" not in result["etc"] and "passwd" in result["etc"] and len(result["etc"]) < 20, result["etc"]
    assert result["home"] in ([], [".pyenv"]), result["home"]  # at most the interpreter's own prefix
    # The kernel worked in a fresh copy: same path, regular files only, its writes discarded.
    assert result["cwd"] == str(work)
    assert result["listing"] == ["data.txt", "sub", "written.txt"], result["listing"]
    assert result["wrote_here"] is True  # (beside it lands in the private /tmp or fails: never on the host)
    after = {p.relative_to(work): p.read_bytes() for p in work.rglob("*") if stat.S_ISREG(p.lstat().st_mode)}
    assert after == before
    assert not (work / "written.txt").exists() and not (work.parent / "beside.txt").exists()
    assert os.path.islink(work / "grades-link") and (host["course"] / "gradebook.db").read_text() == "grades"
    # The interpreter is the kernelspec's (the venv's python3 kernelspec).
    from jupyter_client.kernelspec import KernelSpecManager

    assert result["executable"] == KernelSpecManager().get_kernel_spec("python3").argv[0]


def test_a_kernel_started_ahead_sees_only_the_student_it_is_given(host):
    """A kernel started before its student is known (``slot_root``) ends up as a kernel started for them."""
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    from nncourse.grading.execute import CHDIR
    from nncourse.grading.sandbox import SandboxedKernelManager

    work, bob = host["work"], host["bob"]
    slot = host["course"] / "autograded"
    km = SandboxedKernelManager(kernel_name="python3", slot_root=str(slot))
    run_sync(km.start_kernel)(cwd=str(slot))
    try:
        assert not km.can_adopt(host["course"] / "assignments") and not km.can_adopt(slot)
        assert km.can_adopt(work)
        # Files that reach the student's folder while the kernel boots are still copied in.
        (work / "late.txt").write_text("staged late")
        assert km.adopt(work) == work
        assert not km.can_adopt(bob)  # one student per kernel
        probe = (CHDIR.format(path=str(work)) + "import json, os\n"
                 "with open('data.txt', 'a') as fh: fh.write('changed')\n"
                 f"print(json.dumps([os.getcwd(), sorted(os.listdir('.')), sorted(os.listdir({str(slot)!r})), "
                 f"os.path.exists({str(bob)!r}), open('late.txt').read()]))")
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
        NotebookClient(nb, km=km, timeout=60).execute()
    finally:
        km.stop(now=True)
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"], outputs
    cwd, listing, slot_listing, sees_bob, late = json.loads(outputs[-1]["text"].strip().splitlines()[-1])
    assert cwd == str(work)
    assert listing == ["data.txt", "late.txt", "sub"], listing  # regular files only, as a kernel started for alice
    assert slot_listing == ["alice"] and sees_bob is False  # no other student's folder
    assert late == "staged late"
    assert (work / "data.txt").read_text() == "original"  # its writes stay in the sandbox
    assert km.scratch is None


def test_the_memory_cap_holds_for_all_the_kernels_processes_together(tmp_path):
    """Each process stays under RLIMIT_DATA, but together they pass the cap: the sandbox is stopped."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    from nncourse.grading.sandbox import SandboxedKernelManager

    fork = ("import os, time\n"
            "for _ in range(4):\n"
            "    if os.fork() == 0:\n"
            "        block = b'x' * (250 * 2**20)  # written, so resident\n"
            "        time.sleep(60)\n"
            "        os._exit(0)\n"
            "time.sleep(60)\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(fork)])
    km = SandboxedKernelManager(kernel_name="python3", workdir=str(tmp_path), memory_mb=600)
    start = time.monotonic()
    try:
        with pytest.raises(DeadKernelError):
            NotebookClient(nb, km=km, timeout=50).execute()
        assert time.monotonic() - start < 40, "the kernel was not stopped when its processes passed the cap"
        assert km.stopped_by_watch and "over the cap of 600 MiB" in km.stopped_by_watch
    finally:
        km.stop(now=True)


def _stopped_writer(tmp_path, code: str, **caps):
    """Run ``code`` in a sandboxed kernel with ``caps``; (seconds until it was stopped, the watch's reason)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    from nncourse.grading.sandbox import SandboxedKernelManager

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    km = SandboxedKernelManager(kernel_name="python3", workdir=str(tmp_path), **caps)
    start = time.monotonic()
    try:
        with pytest.raises(DeadKernelError):
            NotebookClient(nb, km=km, timeout=50).execute()
        return time.monotonic() - start, km.stopped_by_watch
    finally:
        km.stop(now=True)


def test_a_kernel_that_fills_the_disk_is_stopped(tmp_path):
    # Red team, 2026-12-04: one cell wrote 2 GiB in 8 s into the kernel's /tmp, a host folder; a full disk would
    # fail every other student's gradebook write. Files of 20 MiB each, so no single one meets RLIMIT_FSIZE.
    fill = ("import os, time\nblock = os.urandom(2**20)\n"
            "for i in range(100):\n    with open(f'/tmp/fill{i}', 'wb') as fh:\n        fh.write(block * 20)\n"
            "time.sleep(60)\n")
    took, reason = _stopped_writer(tmp_path, fill, disk_mb=200)
    assert took < 40 and reason and "files held" in reason and "over the cap of 200 MiB" in reason


def test_a_kernel_that_makes_too_many_files_is_stopped(tmp_path, monkeypatch):
    from nncourse.grading.sandbox import MemoryWatch

    monkeypatch.setattr(MemoryWatch, "MAX_ENTRIES", 2000)  # the watch runs in this process
    many = ("import os, time\nos.makedirs('/tmp/many')\n"
            "for i in range(5000):\n    open(f'/tmp/many/{i}', 'w').close()\ntime.sleep(60)\n")
    took, reason = _stopped_writer(tmp_path, many, disk_mb=2048)
    assert took < 40 and reason and "2,000 entries" in reason


def test_one_file_over_half_the_disk_cap_fails_and_the_kernel_goes_on(tmp_path):
    from nbclient import NotebookClient

    from nncourse.grading.sandbox import SandboxedKernelManager

    code = ("import os\ntry:\n    open('/tmp/big', 'wb').write(b'x' * (150 * 2**20))\n"
            "except OSError as exc:\n    print('refused:', exc.strerror, os.path.getsize('/tmp/big') // 2**20)\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code), nbformat.v4.new_code_cell("print('alive')")])
    km = SandboxedKernelManager(kernel_name="python3", workdir=str(tmp_path), disk_mb=200)
    try:
        NotebookClient(nb, km=km, timeout=50).execute()
    finally:
        km.stop(now=True)
    printed = ["".join(o.get("text", "") for o in cell.outputs).strip() for cell in nb.cells]
    assert printed == ["refused: File too large 100", "alive"] and km.stopped_by_watch is None


def test_an_honest_kernel_is_not_stopped_by_the_memory_watch(tmp_path):
    out = run_in_sandbox(tmp_path, "import numpy as np\nx = np.ones(2**24)\nprint(x.sum())")
    assert out.strip() == str(float(2**24))


def test_the_notebooks_kernelspec_is_honoured(tmp_path, monkeypatch):
    spec_dir = tmp_path / "jupyter" / "kernels" / "course-py"
    spec_dir.mkdir(parents=True)
    argv0 = str(Path(sys.prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}")
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [argv0, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Course",
        "language": "python", "env": {"NNCOURSE_FROM_SPEC": "yes"}}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    work = tmp_path / "work"
    work.mkdir()
    out = run_in_sandbox(work, "import os, sys\nprint(sys.executable, os.environ.get('NNCOURSE_FROM_SPEC'))",
                         kernel_name="course-py")
    assert out.split() == [argv0, "yes"]


def test_a_missing_kernelspec_is_a_clear_error(tmp_path):
    from jupyter_client.kernelspec import NoSuchKernel
    from jupyter_core.utils import run_sync

    from nncourse.grading.sandbox import SandboxedKernelManager

    km = SandboxedKernelManager(kernel_name="no-such-kernel-here", workdir=str(tmp_path))
    with pytest.raises(NoSuchKernel, match="no-such-kernel-here"):
        run_sync(km.start_kernel)()
    assert km.scratch is None  # nothing was created for it


def test_sandboxed_execute_shuts_its_kernel_down(tmp_path):
    from nncourse.grading.sandbox import SandboxedExecute

    scratch_root = Path(tempfile.mkdtemp(prefix="nct-", dir="/tmp"))
    executes = []
    for i in range(3):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nprint(os.getpid())")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        work = tmp_path / f"nb{i}"
        work.mkdir()
        executes.append(SandboxedExecute(timeout=60))  # kept alive: nothing may rely on garbage collection
        old_tempdir, tempfile.tempdir = tempfile.tempdir, str(scratch_root)
        try:
            executes[-1].preprocess(nb, {"metadata": {"path": str(work)}})
        finally:
            tempfile.tempdir = old_tempdir
        assert nb.cells[0].outputs[0]["text"].strip().isdigit()
        deadline = time.monotonic() + 3  # a kernel may take a moment to finish exiting
        while kernels(scratch_root) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kernels(scratch_root) == [], f"notebook {i}: its kernel is still alive"
    assert list(scratch_root.iterdir()) == []  # scratch folders removed
    scratch_root.rmdir()


def test_scan_submission_lists_regular_files_and_refuses_the_rest(tmp_path):
    from nncourse.grading.harden import scan_submission

    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "sub" / "deeper" / "data.csv").write_text("1")
    (tmp_path / "outside").mkdir()
    os.symlink("/etc/passwd", tmp_path / "sub" / "link")
    os.symlink(tmp_path / "outside", tmp_path / "linked-folder")
    os.symlink("/nonexistent", tmp_path / "dangling")
    os.mkfifo(tmp_path / "pipe")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    try:
        files, reasons = scan_submission(tmp_path)
    finally:
        server.close()
    assert files == [Path("a.ipynb"), Path("sub/deeper/data.csv")]
    assert sorted(reasons) == ["dangling: a symbolic link, not copied",
                               "linked-folder: a symbolic link to a folder, not copied",
                               "pipe: a named pipe (fifo), not copied", "sock: a socket, not copied",
                               "sub/link: a symbolic link, not copied"]


def test_scratch_of_a_killed_grader_is_swept(tmp_path):
    from nncourse.grading.sandbox import OWNER, sweep_stale_scratch

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale, live, foreign = (tmp_path / f"nncourse-kernel-{n}" for n in ("stale", "live", "foreign"))
    for folder in (stale, live, foreign):
        (folder / "conn").mkdir(parents=True)
    (stale / OWNER).write_text(str(dead.pid))
    (live / OWNER).write_text(str(os.getpid()))
    assert sweep_stale_scratch([stale, live, foreign]) == [stale]
    assert not stale.exists() and live.exists() and foreign.exists()


def test_staging_of_a_killed_make_grade_is_swept(tmp_path):
    from nncourse.grading.run import STAGING_PREFIX, sweep_stale_staging
    from nncourse.grading.sandbox import OWNER

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale, live = (tmp_path / f"{STAGING_PREFIX}gradient_descent-{n}" for n in ("stale", "live"))
    other = tmp_path / "someone-else"
    for folder in (stale, live, other):
        (folder / "chunk0").mkdir(parents=True)
        (folder / OWNER).write_text(str(dead.pid))
    (live / OWNER).write_text(str(os.getpid()))
    assert sweep_stale_staging(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and other.exists()


# ---------------------------------------------------------------- through real nbgrader


def kernels(marker: Path) -> list[tuple[int, str]]:
    """Live bwrap / kernel processes whose command line mentions ``marker`` (read from /proc)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(marker) in cmd and ("bwrap" in cmd or "ipykernel" in cmd):
            found.append((int(pid), cmd))
    return found


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("sandbox-course"), [AID])
    with open(root / "nbgrader_config.py", "a") as fh:
        fh.write("\nfrom nncourse.grading import harden as _harden\n_harden.install()\n"
                 "c.SandboxedExecute.timeout = 30\n")
    nbgrader(root, "generate_assignment", AID, "--force")
    return root


def submit(course: Path, student: str) -> Path:
    folder = course / "submitted" / student / AID
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{AID}.ipynb").write_bytes((course / "release" / AID / f"{AID}.ipynb").read_bytes())
    return folder


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): ("link" if p.is_symlink() else "dir" if p.is_dir() else "file")
            for p in folder.rglob("*")}


@pytest.mark.slow
def test_symlinks_in_a_submission_are_refused_and_never_reach_feedback(course):
    folder = submit(course, "linker")
    (folder / "notes.txt").write_text("my notes")
    os.symlink(course / "gradebook.db", folder / "grades.db")
    os.symlink(course / "assignments" / AID / f"{AID}.ipynb", folder / "answers.txt")
    os.symlink(course / "assignments", folder / "sources")
    os.symlink(course / "nbgrader_config.py", folder / "extra.ipynb")
    os.mkfifo(folder / "pipe")
    gradebook_mode = (course / "gradebook.db").stat().st_mode
    result = nbgrader(course, "autograde", AID, "--student", "linker", "--force")
    log = result.stdout + result.stderr
    for name in ("grades.db", "answers.txt", "sources", "pipe"):
        assert f"refusing {folder / name}" in log, (name, log[-3000:])

    out = course / "autograded" / "linker" / AID
    assert tree(out) == {f"{AID}.ipynb": "file", "notes.txt": "file"}, tree(out)
    secrets = [(course / "gradebook.db").read_bytes(), (course / "assignments" / AID / f"{AID}.ipynb").read_bytes()]
    assert not any(p.read_bytes() in secrets for p in out.rglob("*"))

    # A link that appears in autograded/ (e.g. left by an older grading run) is never followed or chmodded.
    os.symlink(course / "gradebook.db", out / "leak.db")
    os.symlink(course / "assignments", out / "leak-dir")
    result = nbgrader(course, "generate_feedback", AID, "--student", "linker", "--force")
    log = result.stdout + result.stderr
    assert f"refusing {out / 'leak.db'}" in log, log[-3000:]
    feedback = course / "feedback" / "linker" / AID
    assert tree(feedback) == {f"{AID}.html": "file", "notes.txt": "file"}, tree(feedback)
    assert (course / "gradebook.db").stat().st_mode == gradebook_mode  # not chmodded through a link
    assert (course / "assignments" / AID / f"{AID}.ipynb").stat().st_mode & stat.S_IWUSR


@pytest.mark.slow
def test_odd_student_folders_get_a_clear_message(course):
    from nncourse.grading.harden import check_student_id, student_id_message

    assert check_student_id("alice") is None
    for student in (".hidden", "with space"):
        submit(course, student)
    result = nbgrader(course, "autograde", AID, "--force", check=False)
    log = result.stdout + result.stderr
    for student in (".hidden", "with space"):
        assert check_student_id(student)
        assert student_id_message(student) in log, log[-3000:]
        assert not (course / "autograded" / student).exists()


@pytest.mark.slow
@pytest.mark.parametrize("path", ["nbgrader autograde", "make grade"])
def test_a_wildcard_in_a_student_id_never_costs_another_student_a_grade(course, path):
    """nbgrader puts student ids into glob patterns: 'a[b]c' matched the folder of 'abc' (red team, round 3)."""
    from nncourse.grading.harden import student_id_message

    odd = ["a[b]c", "*", "who?"]
    for student in ["abc", *odd]:
        submit(course, student)
    shutil.rmtree(course / "autograded" / "abc", ignore_errors=True)
    if path == "nbgrader autograde":
        result = nbgrader(course, "autograde", AID, "--force", check=False)
    else:
        result = subprocess.run([sys.executable, "-m", "nncourse.grading.run", AID, "--jobs", "1", "--force"],
                                cwd=course, env=venv_env(), capture_output=True, text=True, timeout=1200)
    log = result.stdout + result.stderr
    assert (course / "autograded" / "abc" / AID / f"{AID}.ipynb").is_file(), log[-3000:]
    for student in odd:
        assert student_id_message(student) in log, (student, log[-3000:])
        assert not (course / "autograded" / student).exists()
    for student in odd:
        shutil.rmtree(course / "submitted" / student)


@pytest.mark.slow
def test_every_student_gets_the_same_kind_of_kernel(course):
    """The first student's kernel is started for them, the others' ahead: what their code sees is the same."""
    probe = ("import json, os, sys\n"
             "try:\n    open('../beside.txt', 'w').write('x'); beside = 'written'\n"
             "except OSError as err:\n    beside = type(err).__name__\n"
             "print('PROBE', json.dumps([os.environ.get('PWD') == os.getcwd(), os.getcwd().split('/')[-2:],"
             " any('hist_file=:memory:' in a for a in sys.argv), beside, sorted(os.listdir('..'))]))\n")
    students = [f"same{i}" for i in range(3)]
    for student in students:
        folder = submit(course, student)
        nb = nbformat.read(folder / f"{AID}.ipynb", as_version=4)
        nb.cells.insert(1, nbformat.v4.new_code_cell(probe))
        nbformat.write(nb, folder / f"{AID}.ipynb")
    nbgrader(course, "autograde", AID, "--student", "same*", "--force")
    seen = {}
    for student in students:
        nb = nbformat.read(course / "autograded" / student / AID / f"{AID}.ipynb", as_version=4)
        text = "".join(o.get("text", "") for o in nb.cells[1].outputs)
        seen[student] = json.loads(text.split("PROBE", 1)[1])
    for student, (pwd_ok, tail, memory_history, beside, parent) in seen.items():
        assert pwd_ok and tail == [student, AID] and memory_history, (student, seen[student])
        assert beside == "written" and parent == ["beside.txt", AID], (student, seen[student])  # in its scratch only
    assert not any((course / "autograded" / s / "beside.txt").exists() for s in students)


@pytest.mark.slow
def test_a_class_of_ten_leaves_no_kernel_and_no_scratch(course, tmp_path):
    for i in range(10):
        submit(course, f"class{i:02d}")
    scratch_root = Path(tempfile.mkdtemp(prefix="nct-", dir="/tmp"))  # short: ipc sockets live in it
    assert kernels(scratch_root) == []
    env = venv_env() | {"TMPDIR": str(scratch_root)}
    env.pop("NBGRADER_DB_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", AID, "--student", "class*", "--force",
                             "--log-level=DEBUG"],
                            cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.append(proc.stdout.read()), daemon=True)
    reader.start()
    most, crowd, previous = 0, [], set()
    while proc.poll() is None:
        live = {(pid, cmd) for pid, cmd in kernels(scratch_root) if "ipykernel" in cmd and "bwrap" not in cmd}
        # A kernel seen in two samples 0.2 s apart is alive, not merely finishing its exit.
        lasting = live & previous
        if len(lasting) > most:
            most, crowd = len(lasting), sorted(lasting)
        previous = live
        time.sleep(0.2)
    reader.join(timeout=30)
    assert proc.returncode == 0, "".join(output)[-3000:]
    assert all((course / "autograded" / f"class{i:02d}" / AID / f"{AID}.ipynb").is_file() for i in range(10))
    # The running notebook's kernel and at most one started ahead for the next notebook.
    assert 1 <= most <= 2, f"{most} kernels alive at once: kernels are not shut down after each notebook: {crowd}"
    # Every notebook after the first ran in the kernel started ahead for it.
    assert "".join(output).count("using the kernel started ahead") == 9, "".join(output)[-3000:]
    assert kernels(scratch_root) == []
    assert not list(scratch_root.glob("nncourse-kernel-*"))
    scratch_root.rmdir()
