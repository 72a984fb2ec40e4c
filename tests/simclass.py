"""The simulated class lives in the helper package (``make bench`` uses it too); tests import it from here."""

from nncourse.instructor.simclass import (  # noqa: F401
    SOLUTION_REGION,
    Submission,
    answer_cells,
    build_submission,
    expected_score,
    grade_id,
    solution_code,
    test_points,
    write_class,
)
