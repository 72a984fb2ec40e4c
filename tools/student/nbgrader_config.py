"""nbgrader configuration of the student edition: the Assignments list and the Validate button.

Assignments come from the instructor's exchange. On a shared server or hub the exchange
is set by its administrator (for example in /etc/jupyter/nbgrader_config.py); to name
one yourself, start JupyterLab with NBGRADER_EXCHANGE=/path/to/exchange make lab.
Fetched assignments land in __COURSE_ID__/<assignment>/ in this folder.
"""

import os

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "__COURSE_ID__"
c.Exchange.path_includes_course = True
if os.environ.get("NBGRADER_EXCHANGE"):
    c.Exchange.root = os.environ["NBGRADER_EXCHANGE"]

# Validate's time limit per cell, as in the instructor's course.
c.ExecutePreprocessor.timeout = 120
c.Execute.timeout = 120
