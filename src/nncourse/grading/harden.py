"""Make stock nbgrader refuse what a student can smuggle in as a file system entry.

A submission is a folder the student controls. Stock nbgrader 0.9 copies its other files
with ``shutil.copy`` (which copies a symlink's *target*), reads notebooks through
symlinks, and its permission step ``os.chmod``s every file it finds (following links).
``generate_feedback`` does the same from ``autograded/`` into ``feedback/``. So a link
to ``gradebook.db`` or to the instructor's source ends up as a readable copy in the
student's folders.

``install()`` (called from ``nbgrader_config.py``) patches, in the running process, so
it applies to ``nbgrader autograde``, ``generate_feedback`` and the Formgrader alike:

- ``BaseConverter.init_notebooks``: a notebook that is not a regular file (a symlink,
  a fifo...), or that sits under a symlinked folder, is dropped with a warning; a
  student folder or assignment folder that is itself a symlink is dropped whole; a
  student id that nbgrader or ``make grade`` cannot handle cleanly (leading dot, spaces,
  path separators) is skipped with the message of :func:`student_id_message`, and
  dot-folders, which stock nbgrader's glob skips silently, are reported the same way.
- ``BaseConverter.init_assignment``: only regular files are copied (through a file
  descriptor opened with ``O_NOFOLLOW``); every refused entry is logged with its reason.
  ``Autograde.init_assignment`` calls it through ``super()``, so both are covered.
- ``BaseConverter.set_permissions``: symlinks are never chmodded (warning instead).

:func:`scan_submission` is the same check as a function, for ``make grade``'s staging.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import stat
from pathlib import Path

_installed = False


def _kind(mode: int) -> str | None:
    """A human name for a non-regular, non-directory entry (None for a regular file or a folder)."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (fifo)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "not a regular file"


def walk_no_follow(folder: Path):
    """Yield ``(relative path, kind)`` under ``folder`` without ever following a link.

    kind is ``"dir"``, ``"file"``, or a human reason (a symlink, a device...) for an
    entry that must be refused. Symlinked subfolders are reported, never entered.
    """
    folder = Path(folder)
    stack = [Path()]
    while stack:
        rel = stack.pop()
        try:
            entries = sorted(os.scandir(folder / rel), key=lambda e: e.name)
        except OSError as err:
            yield rel, f"cannot be read ({err.strerror})"
            continue
        for entry in entries:
            path = rel / entry.name
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as err:
                yield path, f"cannot be read ({err.strerror})"
                continue
            if stat.S_ISLNK(mode):
                target_is_dir = os.path.isdir(folder / path)
                yield path, "a symbolic link to a folder" if target_is_dir else "a symbolic link"
            elif stat.S_ISDIR(mode):
                yield path, "dir"
                stack.append(path)
            elif stat.S_ISREG(mode):
                yield path, "file"
            else:
                yield path, _kind(mode) or "not a regular file"


def scan_submission(folder: Path) -> tuple[list[Path], list[str]]:
    """The regular files under ``folder`` (relative paths), and one reason per refused entry.

    Nothing is followed: a symlink (to a file or a folder), a device, a fifo or a socket
    is refused with a reason such as ``"data.csv: a symbolic link, not copied"``.
    """
    files, reasons = [], []
    for rel, kind in walk_no_follow(Path(folder)):
        if kind == "file":
            files.append(rel)
        elif kind != "dir":
            reasons.append(f"{rel.as_posix()}: {kind}, not copied")
    return sorted(files), reasons


def copy_regular_file(src: Path, dst: Path) -> bool:
    """Copy ``src`` to ``dst`` if ``src`` is a regular file, never through a symlink. False if refused."""
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:  # ELOOP: a symlink; anything else: unreadable
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return False
        if os.path.lexists(dst):
            os.unlink(dst)
        with os.fdopen(fd, "rb", closefd=False) as fin, open(dst, "xb") as fout:
            shutil.copyfileobj(fin, fout, 1024 * 1024)
        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
        return True
    finally:
        os.close(fd)


def check_student_id(student: str) -> str | None:
    """None if ``student`` is a usable student id (folder name), else the reason it is not."""
    if not student:
        return "the student id is empty"
    if student.startswith("."):
        return "the folder name starts with a dot (stock nbgrader skips such folders silently)"
    if "/" in student or "\\" in student or os.sep in student:
        return "the student id contains a path separator"
    if any(ch.isspace() for ch in student):
        return "the student id contains spaces"
    if any(ord(ch) < 32 for ch in student):
        return "the student id contains control characters"
    if any(ch in "*?[]" for ch in student):
        # nbgrader puts ids into glob patterns: 'a[b]c' would match (and overwrite) the folder of 'abc'.
        return "the student id contains a wildcard character (* ? [ ])"
    return None


def student_id_message(student: str) -> str | None:
    """The one message both `nbgrader autograde` and `make grade` print for an unusable id (None if fine)."""
    reason = check_student_id(student)
    if reason is None:
        return None
    return f"not grading student folder {student!r}: {reason}; rename the folder under submitted/ to grade it"


def _real_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _no_link_between(root: str, path: str) -> str | None:
    """The first component from ``root`` (exclusive) to ``path`` (inclusive) that is not a real
    folder/regular file, as a reason, or None."""
    rel = os.path.relpath(path, root)
    if rel.startswith(".."):
        return None
    current = root
    for part in Path(rel).parts:
        current = os.path.join(current, part)
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return f"{current}: missing"
        kind = _kind(mode)
        if kind is not None:
            return f"{current}: {kind}"
    return None


def _input_root(converter) -> str:
    """<course>/<input directory>: where the student folders are (nbgrader's default directory_structure)."""
    return os.path.normpath(os.path.join(converter.coursedir.root, converter._input_directory))


def _student_facing(converter) -> bool:
    """True for converters that read a student's folder (autograde, generate_feedback...)."""
    coursedir = converter.coursedir
    return converter._input_directory in (coursedir.submitted_directory, coursedir.autograded_directory)


def _log(converter) -> logging.Logger:
    return getattr(converter, "log", None) or logging.getLogger("nncourse.grading.harden")


def install() -> None:
    """Patch nbgrader's converters in this process (idempotent). See the module docstring."""
    global _installed
    if _installed:
        return
    from nbgrader import utils
    from nbgrader.converters.base import BaseConverter

    original_init_notebooks = BaseConverter.init_notebooks
    original_init_assignment = BaseConverter.init_assignment
    original_set_permissions = BaseConverter.set_permissions

    def init_notebooks(self) -> None:
        if not _student_facing(self):
            return original_init_notebooks(self)
        log = _log(self)
        input_root = _input_root(self)
        if self.coursedir.student_id == "*" and os.path.isdir(input_root) and \
                self._input_directory == self.coursedir.submitted_directory:
            for name in sorted(os.listdir(input_root)):
                folder = os.path.join(input_root, name)
                if name.startswith(".") and _real_dir(folder) and \
                        glob.glob(os.path.join(glob.escape(folder), self.coursedir.assignment_id)):
                    log.warning(student_id_message(name))
        original_init_notebooks(self)
        for assignment in list(self.assignments):
            rel = os.path.relpath(assignment, input_root)
            student = Path(rel).parts[0] if not rel.startswith("..") else ""
            message = student_id_message(student) if student else None
            if message is not None:
                log.warning(message)
                del self.assignments[assignment]
                continue
            problem = _no_link_between(input_root, assignment)
            if problem is not None:
                log.warning("refusing %s: %s (symlinks are never followed)", assignment, problem)
                del self.assignments[assignment]
                continue
            kept = []
            for notebook in self.assignments[assignment]:
                problem = _no_link_between(assignment, notebook)
                if problem is None:
                    kept.append(notebook)
                else:
                    log.warning("refusing notebook %s: %s, not read (symlinks are never followed)",
                                notebook, problem)
            if kept:
                self.assignments[assignment] = kept
            else:
                log.warning("no regular notebook left in %s", assignment)
                del self.assignments[assignment]
        if not self.assignments:
            # Same outcome as stock nbgrader when nothing matched.
            from nbgrader.converters.base import NbGraderException

            msg = "No notebooks were matched (after refusing non-regular files)"
            log.error(msg)
            raise NbGraderException(msg)

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        if not _student_facing(self):
            return original_init_assignment(self, assignment_id, student_id)
        log = _log(self)
        source = self._format_source(assignment_id, student_id)
        dest = self._format_dest(assignment_id, student_id)
        exclude = self.coursedir.ignore + ["*.ipynb"]
        for rel, kind in walk_no_follow(Path(source)):
            path = os.path.join(source, rel)
            if utils.is_ignored(path, exclude) or any(
                    utils.is_ignored(os.path.join(source, *rel.parts[:i]), exclude)
                    for i in range(1, len(rel.parts))):
                continue
            if kind == "dir":
                continue
            if kind != "file":
                log.warning("refusing %s: %s, not copied (symlinks are never followed)", path, kind)
                continue
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if _no_link_between(dest, os.path.dirname(target)) is not None:
                log.warning("refusing to copy %s: the destination folder holds a symlink", path)
                continue
            log.info("Copying %s -> %s", path, target)
            if not copy_regular_file(Path(path), Path(target)):
                log.warning("refusing %s: not a regular file, not copied", path)

    def set_permissions(self, assignment_id: str, student_id: str) -> None:
        if not _student_facing(self):
            return original_set_permissions(self, assignment_id, student_id)
        log = _log(self)
        log.info("Setting destination file permissions to %s", self.permissions)
        dest = os.path.normpath(self._format_dest(assignment_id, student_id))
        permissions = int(str(self.permissions), 8)
        if not _real_dir(dest):
            log.warning("refusing to set permissions under %s: not a real folder", dest)
            return
        for dirname, dirnames, filenames in os.walk(dest):
            for name in dirnames + filenames:
                path = os.path.join(dirname, name)
                mode = os.lstat(path).st_mode
                kind = _kind(mode)
                if kind is not None:
                    log.warning("refusing to chmod %s: %s (symlinks are never followed)", path, kind)
                elif stat.S_ISREG(mode):
                    os.chmod(path, permissions, follow_symlinks=False)
            st_mode = os.lstat(dirname).st_mode
            if self.coursedir.groupshared and st_mode & 0o2770 != 0o2770:
                try:
                    os.chmod(dirname, (st_mode | 0o2770) & 0o2777)
                except PermissionError:
                    log.warning("Could not update permissions of %s to make it groupshared", dirname)
        if self.coursedir.groupshared:
            rootdir = self.coursedir.format_path(self._output_directory, ".", ".")
            st_mode = os.stat(rootdir).st_mode
            if st_mode & 0o2770 != 0o2770:
                try:
                    os.chmod(rootdir, (st_mode | 0o2770) & 0o2777)
                except PermissionError:
                    log.warning("Could not update permissions of %s to make it groupshared", rootdir)

    BaseConverter.init_notebooks = init_notebooks
    BaseConverter.init_assignment = init_assignment
    BaseConverter.set_permissions = set_permissions
    _installed = True
