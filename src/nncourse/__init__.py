"""Helper package of the course, in three parts by who runs the code.

- ``nncourse`` itself (the modules at this level): what lecture and assignment notebooks
  import, so what a student runs: offline data generators, plotting, seeding and runtime
  settings, models, metrics and the ``checks`` that test cells call.
- ``nncourse.grading``: the grader (judge, sandbox, preflight, feedback, ``make grade``).
- ``nncourse.instructor``: course tooling only the instructor runs (executing notebooks,
  solutions, slides, the student edition, the authoring kit, benchmarks).

It never holds an assignment's answers.
"""

from nncourse.runtime import seed_everything, setup_notebook

__all__ = ["seed_everything", "setup_notebook"]
__version__ = "0.1.0"
