"""Feedback that shows students their results but never the hidden tests.

nbgrader's stock feedback renders the autograded notebook, whose test cells were
overwritten with the instructor's version, hidden tests included, and whose error
tracebacks quote the failing hidden line. ``HideHiddenTests`` removes both.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import Unicode

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden-test regions from test cells and reduce their tracebacks to the message."""

    placeholder = Unicode(
        "# (further tests ran here when your notebook was graded)",
        help="Shown where a hidden-test region was removed.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        self._clear = ClearHiddenTests(parent=self)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not grading.get("grade"):
            return cell, resources
        if self._clear._remove_hidden_test_region(cell):
            cell.source = cell.source.rstrip("\n") + "\n" + self.placeholder
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                # The traceback quotes the failing line, which may be hidden; keep only the verdict.
                output["traceback"] = [f"{output.get('ename', 'Error')}: {ANSI_ESCAPE.sub('', output.get('evalue', ''))}"]
        return cell, resources
