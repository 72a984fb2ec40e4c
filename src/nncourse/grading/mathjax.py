"""Math without a CDN: feedback typeset when it is written, and a Formgrader that loads MathJax locally.

Stock nbgrader 0.9.6 writes feedback and Formgrader pages with nbconvert's MathJax macro called
without an argument, so every page loads MathJax 2.7.7 from cdnjs whatever ``mathjax_url`` says;
offline the math stays raw, and each student's feedback file makes a third-party request.

* **Feedback** (``nbgrader generate_feedback``, ``make feedback``, the Formgrader's buttons) is
  written by :class:`FeedbackExporter`: nbgrader's own ``feedback`` template with nbconvert's
  MathJax macro shadowed by an empty one (``templates/nncourse_feedback``), and the finished page
  typeset by MathJax 3 itself in node (``tools/mathjax/typeset.cjs``, ``mathjax-full`` pinned in
  its ``package-lock.json``, the MathJax JupyterLab 4 and the slides use) into SVG with one glyph
  cache per page. The file shows its math with no script, font or other file, so it still does
  after ``release_feedback``/``fetch_feedback``, which copy the HTML file alone, or as an e-mail
  attachment. Without node, or when MathJax cannot be installed, the feedback is still written,
  with its TeX as text, and a warning says why.
* **Formgrader**: the pip package ``jupyter-server-mathjax`` (Jupyter's own; MathJax 2.7.9, whose
  API the Formgrader's ``formgrade.js`` calls) serves MathJax from the Jupyter server at
  ``<base_url>/static/jupyter_server_mathjax/``; ``templates/nncourse_formgrade`` points the
  grading page there.

:func:`configure` sets both up in ``nbgrader_config.py``.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import logging
import os
import re
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from nbconvert.exporters import HTMLExporter
from traitlets import Bool, Float, Unicode

#: The course's templates: ``nncourse_feedback`` and ``nncourse_formgrade``.
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: ``tools/mathjax`` of the checkout (package.json, package-lock.json, typeset.cjs, node_modules/).
TOOLS = Path(__file__).resolve().parents[3] / "tools" / "mathjax"

log = logging.getLogger(__name__)


def nbgrader_templates() -> Path:
    """nbgrader's own templates (``feedback``, ``formgrade``), which the course's extend."""
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"


class MathJaxUnavailable(RuntimeError):
    """node, or MathJax under ``tools/mathjax``, is missing and cannot be installed."""


def ensure_installed(tools: Path = TOOLS, install: bool = True) -> str:
    """Return node's path, first running ``npm ci`` in ``tools`` if MathJax is not installed there.

    Several nbgrader processes may ask at once (parallel tests, two Formgrader buttons): a lock
    lets one install while the others wait, since ``npm ci`` starts by removing ``node_modules``.
    """
    node = shutil.which("node")
    if node is None:
        raise MathJaxUnavailable("node is not installed (Debian/Ubuntu: apt-get install nodejs npm)")
    tools = Path(tools).resolve()
    script = tools / "typeset.cjs"
    if not script.is_file():
        raise MathJaxUnavailable(f"{script} is missing")
    installed = tools / "node_modules" / "mathjax-full" / "js" / "mathjax.js"
    if installed.is_file():
        return node
    npm = shutil.which("npm")
    if not install or npm is None:
        raise MathJaxUnavailable(f"MathJax is not installed: run `npm ci --prefix {tools}`")
    lock = Path(tempfile.gettempdir()) / f"nncourse-mathjax-{hashlib.sha256(str(tools).encode()).hexdigest()[:12]}.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        if not installed.is_file():
            proc = subprocess.run([npm, "ci", "--prefix", str(tools), "--no-audit", "--no-fund"],
                                  capture_output=True, text=True)
            if proc.returncode != 0 or not installed.is_file():
                raise MathJaxUnavailable(f"`npm ci --prefix {tools}` failed: {proc.stderr.strip()[-500:]}")
    return node


class Typesetter:
    """One node process running ``typeset.cjs``: a page in, the page with its math typeset out.

    Loading MathJax takes node about half a second, so one process serves every page of a run
    (and of a Formgrader session); it ends with this process, or with :meth:`close`.
    """

    def __init__(self, tools: Path = TOOLS, timeout: float = 120.0, install: bool = True):
        self.tools, self.timeout, self.install = Path(tools), timeout, install
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            node = ensure_installed(self.tools, self.install)
            self._proc = subprocess.Popen([node, str(self.tools / "typeset.cjs")], cwd=self.tools,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return self._proc

    def _answer(self, proc: subprocess.Popen) -> bytes:
        """One line from node's stdout, within the timeout."""
        chunks, deadline = [], time.monotonic() + self.timeout
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise TimeoutError(f"MathJax gave no answer within {self.timeout:.0f} s")
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise RuntimeError("the MathJax process ended")
                chunks.append(chunk)
                if chunk.endswith(b"\n"):
                    return b"".join(chunks)

    def typeset(self, page: str) -> dict:
        """``{"html": page, "math": formulas, "errors": [TeX errors]}``; raises on failure."""
        with self._lock:
            proc = self._start()
            try:
                proc.stdin.write(json.dumps({"html": page}).encode() + b"\n")
                proc.stdin.flush()
                answer = json.loads(self._answer(proc))
            except BaseException:
                self.close()  # a fresh process for the next page
                raise
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


_shared: dict[Path, Typesetter] = {}


def shared_typesetter(tools: Path = TOOLS) -> Typesetter:
    """The process's typesetter for ``tools`` (started on first use, closed at exit)."""
    tools = Path(tools).resolve()
    if tools not in _shared:
        _shared[tools] = Typesetter(tools)
        atexit.register(_shared[tools].close)
    return _shared[tools]


# Feedback shows what students wrote: their Markdown and their cells' HTML outputs, script tags, event handlers and
# javascript: links included (nbconvert keeps them), and an instructor or TA opens it (red team, 2026-12-04). The
# page needs no script at all (its math is typeset when it is written), so the policy forbids every one.
FEEDBACK_POLICY = ("script-src 'none'; object-src 'none'; frame-src 'none'; worker-src 'none'; base-uri 'none'; "
                   "form-action 'none'")
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def without_scripts(page: str) -> str:
    """``page`` with a Content-Security-Policy that runs none of its scripts, first thing in its head."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{FEEDBACK_POLICY}">'
    found = _HEAD.search(page)
    if found is None:
        return meta + page
    return page[:found.end()] + meta + page[found.end():]


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback HTML with its math typeset by MathJax when the file is written (no CDN)."""

    typeset_math = Bool(True, help="Typeset the page's TeX with MathJax in node; "
                                   "False leaves it as text (still no CDN).").tag(config=True)
    mathjax_tools = Unicode(str(TOOLS), help="Folder of typeset.cjs and its node_modules/").tag(config=True)
    typeset_timeout = Float(120.0, help="Seconds MathJax may take for one page").tag(config=True)

    _warned = False

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = self._typeset(nb, resources, **kw)
        return without_scripts(output), resources

    def _typeset(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        if not self.typeset_math:
            return output, resources
        name = (resources or {}).get("metadata", {}).get("name", "notebook")
        typesetter = shared_typesetter(Path(self.mathjax_tools))
        typesetter.timeout = self.typeset_timeout
        try:
            answer = typesetter.typeset(output)
        except MathJaxUnavailable as err:
            if not FeedbackExporter._warned:
                self.log.warning("Feedback math left as TeX (no MathJax): %s", err)
                FeedbackExporter._warned = True
            return output, resources
        except (RuntimeError, TimeoutError, OSError, ValueError) as err:
            self.log.warning("%s: feedback math left as TeX: %s", name, err)
            return output, resources
        for error in answer["errors"]:
            self.log.warning("%s: TeX error in the feedback (shown in red): %s", name, error)
        return answer["html"], resources


def configure(c) -> None:
    """Set ``nbgrader_config.py``'s config ``c`` up for offline math in feedback and the Formgrader."""
    bases = [str(TEMPLATES), str(nbgrader_templates())]
    c.GenerateFeedback.exporter_class = FeedbackExporter
    c.FeedbackExporter.template_name = "nncourse_feedback"
    c.FeedbackExporter.extra_template_basedirs = bases
    # The Formgrader's grading page (an HTMLExporter the formgrader extension builds from this config).
    c.HTMLExporter.template_name = "nncourse_formgrade"
    c.HTMLExporter.extra_template_basedirs = bases
    # So that 'formgrade/index.html.j2' resolves for {% extends %}.
    c.HTMLExporter.extra_template_paths = [str(nbgrader_templates())]
