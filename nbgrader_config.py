"""nbgrader configuration: the course root is the repository root.

    assignments/<id>/<id>.ipynb   instructor sources (solutions + hidden tests)
    release/<id>/                 student version (generated, git-ignored)
    submitted/<student>/<id>/     collected submissions (git-ignored)
    autograded/, feedback/        grading output (git-ignored)
    solutions/<id>/               generated, executed solutions (committed)

The gradebook is SQLite (gradebook.db) unless NBGRADER_DB_URL names another
database, e.g. postgresql+psycopg2://user@localhost/course.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

# The judge imports TensorFlow in this process for reference checks: the same CPU-independent
# numerics as the lectures, and no C++ start-up chatter in the grading log.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "nn-course"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "assignments"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.solution_directory = "solutions"
c.CourseDirectory.db_url = os.environ.get("NBGRADER_DB_URL", f"sqlite:///{ROOT / 'gradebook.db'}")

# The exchange (release_assignment, fetch_assignment, submit, collect, JupyterLab's Assignments
# list) is exchange/ in the course root, git-ignored and created here, so it works on one machine
# as it is. NBGRADER_EXCHANGE names a shared one instead (a hub's exchange volume, made by its admin).
# A fetched assignment lands in nn-course/<id>/ under the folder Jupyter serves (also git-ignored).
if os.environ.get("NBGRADER_EXCHANGE"):
    c.Exchange.root = os.environ["NBGRADER_EXCHANGE"]
else:
    c.Exchange.root = str(ROOT / "exchange")
    try:
        (ROOT / "exchange").mkdir()
        (ROOT / "exchange").chmod(0o777)  # the mode nbgrader's release_assignment wants for its root
    except OSError:
        pass  # it exists, or the course folder is read-only (nbgrader then says what is missing)
c.Exchange.path_includes_course = True

# Notebooks never read data from outside their own folder, so nothing else is copied.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# What students see in an answer cell of the release.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Hidden tests run at grading time only; the release keeps the visible part.
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# A cell that runs longer than this fails instead of stalling the batch.
c.ExecutePreprocessor.timeout = 120
c.Execute.timeout = 120

# The generated solution (committed in solutions/) shows the answers and the visible
# tests; hidden tests stay in the instructor's source so they can be reused.
from nbgrader.preprocessors import (  # noqa: E402
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    Execute,
    IncludeHeaderFooter,
    LockCells,
)

c.GenerateSolution.preprocessors = [IncludeHeaderFooter, LockCells, ClearOutput, ClearHiddenTests, ClearMarkScheme, Execute]

# Feedback shows each test's verdict and message, never the hidden tests' code.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from nncourse.grading.feedback import HideHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# Math without a CDN (nncourse.grading.mathjax). Stock nbgrader's feedback and grading pages load
# MathJax from cdnjs whatever HTMLExporter.mathjax_url says (its templates call nbconvert's macro
# without a URL). Feedback is typeset when it is written, by MathJax 3 itself in node (the npm
# package mathjax-full, pinned in tools/mathjax/package-lock.json, `npm ci` on first use): SVG
# inside the file, no script, font or network, so it works after release_feedback/fetch_feedback,
# which copy the HTML file alone (a MathJax copy beside it would not travel, and a 2 MB MathJax
# inlined in every student's file would not be a sensible size). The Formgrader loads MathJax 2.7.9
# (the API its formgrade.js calls) from the Jupyter server: the pip package jupyter-server-mathjax,
# Jupyter's own, rather than files of our own. Without node, feedback keeps its TeX as text.
from nncourse.grading.mathjax import configure as _offline_math  # noqa: E402

_offline_math(c)

# Autograding runs in two processes (nncourse.grading.judge): every cell that is not a test
# cell runs in a bubblewrap-sandboxed student kernel (no network, an allow-list of read-only
# system paths, a scratch copy of the student's folder, a cleared environment, memory and CPU
# capped); the test cells, hidden tests included, run in the judge inside this trusted process,
# which never executes student code and receives only data from the kernel. This applies to
# `nbgrader autograde`, the Formgrader's autograde button and `make grade`; Validate is unaffected.
# Limits: c.JudgedExecute.timeout (per cell), c.JudgedExecute.notebook_seconds (the student's cells of one notebook
# together), c.SandboxedKernelManager.memory_mb / cpu_seconds / disk_mb.
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402

from nncourse.grading.execute import JudgedExecute  # noqa: E402
from nncourse.grading.preprocessors import RepairCells  # noqa: E402

c.Autograde.sanitize_preprocessors = [ClearOutput, RepairCells, DeduplicateIds, OverwriteKernelspec,
                                      OverwriteCells, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [JudgedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
c.JudgedExecute.timeout = 60
c.JudgedExecute.notebook_seconds = 900

# While one notebook runs, the next one's sandboxed kernel starts in an empty private slot
# (at most one ahead; stopped when the run ends), and the judge imports the tests' modules
# (TensorFlow) in the background while the first kernel starts.
from nncourse.grading.execute import install_kernels_ahead  # noqa: E402

install_kernels_ahead()

# Symlinks, devices and other non-regular files in a student's folder are refused (never
# followed, copied or chmodded), and unusable student ids are named in the log
# (nncourse.grading.harden patches nbgrader's file handling in this process).
from nncourse.grading.harden import install as _harden_nbgrader  # noqa: E402

_harden_nbgrader()
c.SandboxedKernelManager.memory_mb = 4096
c.SandboxedKernelManager.cpu_seconds = 600
c.SandboxedKernelManager.disk_mb = 2048

# Ask alembic for the gradebook's schema head once per process, not at every gradebook opening.
from nncourse.grading import cache_alembic_version  # noqa: E402

cache_alembic_version()
