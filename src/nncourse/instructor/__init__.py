"""Course tooling that only the instructor runs; student notebooks never import it.

- ``course``: the course root, executing notebooks, regenerating ``solutions/``, the
  authoring kit (``new-assignment``); ``python -m nncourse.instructor.course``.
- ``slides``: reveal.js decks from the lecture notebooks (``make slides``).
- ``edition``: the student edition (``make student-edition``).
- ``bench`` and ``grading_bench``: measured run times of notebooks and of grading (``make bench``).
- ``simclass``: simulated classes (submissions built from the source and the release) for the
  pipeline tests and the grading benchmark.

The grader itself is ``nncourse.grading``; what lecture and assignment notebooks import sits at
the top of ``nncourse``.
"""
