"""Helper package shared by the course's notebooks and tooling.

It holds offline data generators, plotting helpers, seeding and runtime
settings, and the grading tools. It never holds an assignment's answers.
"""

from nncourse.runtime import seed_everything, setup_notebook

__all__ = ["seed_everything", "setup_notebook"]
__version__ = "0.1.0"
