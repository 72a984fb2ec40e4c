"""Math in feedback and in the Formgrader, without a network (nncourse.grading.mathjax).

A temporary course grades two gradient_descent submissions (the full solution, with a markdown
cell of the student's own holding inline, displayed and environment math, and the blank release),
then writes their feedback with real ``nbgrader generate_feedback``.

* The feedback files load nothing from another host (no MathJax from a CDN), refer to no file
  that is not there, and carry their math typeset (MathJax's SVG, every glyph defined in the page).
* Without MathJax (node or its files missing) feedback is still written, with the TeX as text,
  and still loads nothing from another host.
* In headless Chromium with the network off, a feedback file copied alone into an empty folder
  (what ``fetch_feedback`` gives a student) shows typeset math and no raw TeX.
* The Formgrader's grading page of that submission, served by ``jupyter lab`` on 127.0.0.1, loads
  MathJax from its own server and typesets the notebook's math, with no request to another host.

The browser checks are skipped without Chromium and node, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from course import copy_course, load_spec, nbgrader
from nncourse.instructor import slides
from simclass import write_class

AID = "gradient_descent"
STUDENTS = ("full_solution", "blank_release")
# A markdown cell the student added: each TeX span below must come out typeset.
NOTE = r"""**My derivation.** With step size $\eta$ and $n$ samples the gradient is

$$\nabla_\theta L = \frac{2}{n} X^\top (X\theta - y),$$

so a step is $\theta \leftarrow \theta - \eta \nabla_\theta L$ and

\begin{align}
L(\theta) &= \frac{1}{n}\lVert X\theta - y \rVert^2 \\
\theta^\star &= (X^\top X)^{-1} X^\top y.
\end{align}
"""
NOTE_SPANS = 5  # $\eta$, $n$, the $$...$$ display, the step, the align environment
# What a student can put in a notebook that nbconvert keeps as live markup in the feedback an instructor opens
# (red team, 2026-12-04): a script, an event handler and a javascript: link, in Markdown and in an HTML output.
HOSTILE = "hostile_markup"
RAN = "student script ran"
HOSTILE_MARKDOWN = (f"Note <script>document.title = '{RAN}'</script> "
                    f"<img src=\"data:,\" onerror=\"document.title = '{RAN}'\"> <a href=\"javascript:void 0\">link</a>")
HOSTILE_CODE = ("from IPython.display import HTML, display\n"
                f"display(HTML(\"<script>document.title = '{RAN}'</script><img src='data:,' onerror=\\\"document.title = '{RAN}'\\\">\"))")
# A class of hundreds: one feedback file must stay far below what inlining MathJax (about 2 MB) costs.
MAX_FEEDBACK_BYTES = 600_000

pytestmark = pytest.mark.slow


def feedback_file(root: Path, student: str) -> Path:
    return root / "feedback" / student / AID / f"{AID}.html"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """The course with both submissions autograded and their feedback written."""
    root = copy_course(tmp_path_factory.mktemp("course-math"), [AID])
    nbgrader(root, "generate_assignment", AID, "--force")
    write_class(root, AID, [s for s in load_spec(AID).SUBMISSIONS if s.student in STUDENTS])
    path = root / "submitted" / "full_solution" / AID / f"{AID}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(NOTE))
    nbformat.write(nb, path)
    nb.cells += [nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN), nbformat.v4.new_code_cell(HOSTILE_CODE)]
    (root / "submitted" / HOSTILE / AID).mkdir(parents=True)
    nbformat.write(nb, root / "submitted" / HOSTILE / AID / f"{AID}.ipynb")
    nbgrader(root, "autograde", AID, "--create", "--force")
    nbgrader(root, "generate_feedback", AID, "--force")
    return root


class _References(HTMLParser):
    """The scripts and stylesheets a page loads (``<script src>``, ``<link rel=stylesheet href>``)."""

    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.refs.append(attrs["src"])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").lower().split() and attrs.get("href"):
            self.refs.append(attrs["href"])


def references(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    return parser.refs


def test_feedback_loads_nothing_from_another_host(course):
    for student in STUDENTS:
        path = feedback_file(course, student)
        page = path.read_text(encoding="utf-8")
        remote = [u for u in references(page) if re.match(r"(https?:)?//", u)]
        assert remote == [], f"{student}: scripts or stylesheets from other hosts: {remote}"
        assert slides.external_urls(page) == [], f"{student}: {slides.external_urls(page)}"
        assert "cdnjs" not in page and "MathJax.js" not in page
        # Whatever script or stylesheet it does load is a file next to it (with the math typeset
        # in the page, there is none: fetch_feedback copies the HTML file alone).
        missing = [u for u in references(page) if not (path.parent / urlsplit(u).path).is_file()]
        assert missing == [], f"{student}: refers to files that are not there: {missing}"


def test_feedback_math_is_typeset_in_the_file(course):
    page = feedback_file(course, "full_solution").read_text(encoding="utf-8")
    body = page.split("<body", 1)[1]
    containers = re.findall(r"<mjx-container\b[^>]*>", body)
    assert len(containers) >= NOTE_SPANS, f"{len(containers)} typeset formulas"
    assert sum('display="true"' in c for c in containers) >= 2  # the $$ display and the align
    # Every glyph the formulas draw is defined in the page itself (one shared SVG cache).
    glyphs = set(re.findall(r'xlink:href="#([^"]+)"', body))
    defined = set(re.findall(r'\bid="([^"]+)"', page))
    assert glyphs and glyphs <= defined, f"glyphs not defined in the page: {sorted(glyphs - defined)[:5]}"
    assert 'data-mml-node="merror"' not in body, "a TeX error in the feedback"
    # The student's TeX is no longer text in the page (outside the hidden assistive copies).
    text = re.sub(r"<mjx-container\b.*?</mjx-container>", "", body, flags=re.S)
    for tex in (r"\nabla_\theta L", r"\begin{align}", r"$\eta$", r"\leftarrow"):
        assert tex not in text, f"raw TeX left in the feedback: {tex}"
    for student in STUDENTS:
        size = feedback_file(course, student).stat().st_size
        assert size < MAX_FEEDBACK_BYTES, f"{student}: feedback of {size} bytes"


def test_feedback_without_mathjax_keeps_tex_and_loads_nothing(course, tmp_path):
    """Without node or MathJax's files the feedback is still written; the TeX stays as text."""
    root = tmp_path / "course"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("feedback"))
    result = nbgrader(root, "generate_feedback", AID, "--force", f"--FeedbackExporter.mathjax_tools={tmp_path / 'none'}")
    assert "Feedback math left as TeX" in result.stderr
    page = feedback_file(root, "full_solution").read_text(encoding="utf-8")
    assert "<mjx-container" not in page
    assert r"\nabla_\theta L" in page
    assert slides.external_urls(page) == [] and "cdnjs" not in page


# --------------------------------------------------------------------------- in a browser
@pytest.fixture(scope="module")
def browser():
    """Chromium, node and playwright-core (as tests/test_browser.py), or a skip (a failure in CI)."""
    import test_browser as tb

    if not tb.CHROMIUM.is_file():
        tb._unavailable(f"{tb.CHROMIUM} not found: apt-get install -y chromium")
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        tb._unavailable("node/npm not found: apt-get install -y nodejs npm")
    if not (tb.BROWSER_TOOLS / "node_modules" / "playwright-core").is_dir():
        subprocess.run([npm, "ci", "--prefix", str(tb.BROWSER_TOOLS), "--no-audit", "--no-fund"], check=True)
    return tb


def test_fetched_feedback_shows_typeset_math_offline(course, browser, tmp_path):
    # fetch_feedback copies the HTML file alone into the student's folder; so does this test.
    fetched = tmp_path / "fetched" / "feedback" / "2026-12-02 10:00:00.000000 UTC"
    fetched.mkdir(parents=True)
    page = Path(shutil.copy(feedback_file(course, "full_solution"), fetched / f"{AID}.html"))
    spec = {"pages": [{"name": "feedback-offline", "url": page.as_uri(), "offline": True, "wait": "feedback"}],
            "screenshots": str(browser.SCREENSHOTS)}
    results = browser.run_node("check_math_pages.mjs", spec, tmp_path, timeout=120)
    assert results["blocked"] == [], f"the feedback tried to reach other hosts: {results['blocked']}"
    result = results["pages"][0]
    assert "error" not in result, result.get("error")
    assert result["problems"] == [], result["problems"]
    assert result["scripts"] == []
    assert result["rawMath"] == [], f"TeX left as text: {result['rawMath']}"
    assert result["mathElements"] >= NOTE_SPANS
    assert result["missingGlyphs"] == [] and result["mathErrors"] == 0


def test_feedback_carries_a_policy_that_runs_no_script(course):
    from nncourse.grading.mathjax import FEEDBACK_POLICY

    page = feedback_file(course, HOSTILE).read_text(encoding="utf-8")
    assert RAN in page and "onerror" in page  # the student's markup is in the page, live: the policy must stop it
    head = page[page.lower().index("<head"):]
    first = re.search(r"<(meta|script|link|style|title)\b[^>]*>", head[head.index(">") + 1:], re.I).group(0)
    assert first == f'<meta http-equiv="Content-Security-Policy" content="{FEEDBACK_POLICY}">'
    assert "script-src 'none'" in FEEDBACK_POLICY


def test_a_students_script_does_not_run_when_the_feedback_is_opened(course, browser, tmp_path):
    page = feedback_file(course, HOSTILE)
    spec = {"pages": [{"name": "feedback-hostile", "url": page.as_uri(), "offline": True, "wait": "feedback"}],
            "screenshots": str(browser.SCREENSHOTS)}
    result = browser.run_node("check_math_pages.mjs", spec, tmp_path, timeout=120)["pages"][0]
    assert "error" not in result, result.get("error")
    assert result["title"] != RAN, "a script the student wrote ran in the feedback page"
    assert result["problems"], "Chromium reported no refused script: was the student's markup in the page?"
    assert all("Content Security Policy" in p for p in result["problems"]), result["problems"]
    assert result["mathElements"] >= NOTE_SPANS  # the page still shows its math


def submission_id(course: Path, student: str) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_submission_notebook(AID, AID, student).id


def test_formgrader_typesets_math_from_its_own_server(course, browser, tmp_path):
    sid = submission_id(course, "full_solution")
    with browser.jupyter_lab(course, tmp_path) as (base, token):
        spec = {"pages": [{"name": "formgrader-submission", "url": f"{base}/formgrader/submissions/{sid}/?token={token}",
                           "wait": "mathjax2"}],
                "screenshots": str(browser.SCREENSHOTS)}
        results = browser.run_node("check_math_pages.mjs", spec, tmp_path, timeout=240)
    assert results["blocked"] == [], f"the Formgrader tried to reach other hosts: {results['blocked']}"
    result = results["pages"][0]
    assert "error" not in result, result.get("error")
    assert result["mathFinished"], "MathJax did not finish typesetting the grading page"
    assert result["mathjaxVersion"] == "2.7.9"  # jupyter-server-mathjax's, the API formgrade.js calls
    assert all(urlsplit(s).hostname == "127.0.0.1" for s in result["scripts"]), result["scripts"]
    assert any("/static/jupyter_server_mathjax/MathJax.js" in s for s in result["scripts"]), result["scripts"]
    assert result["rawMath"] == [], f"TeX left as text: {result['rawMath']}"
    assert result["mathElements"] >= NOTE_SPANS
    # Not failures, and no request leaves the machine: MathJax 2 probes web-font support with a font at
    # about:blank, which Chromium refuses; and the hidden MathML it adds for screen readers asks for a TeX
    # font (for \mathbb and the like) that jupyter-server-mathjax does not ship (a 404 from this server).
    failed = [p for p in result["problems"] if not p.startswith("console:") and "about:blank" not in p
              and "/static/jupyter_server_mathjax/fonts/HTML-CSS/TeX/otf/" not in p]
    assert failed == [], result["problems"]
