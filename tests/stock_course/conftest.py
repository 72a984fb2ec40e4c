# The notebooks here are test data: an assignment and submissions with wrong answers on purpose,
# graded by tests/test_stock_compat.py. nbval must not run them as notebooks of the course.
collect_ignore_glob = ["*.ipynb", "*/*.ipynb", "*/*/*.ipynb", "*/*/*/*.ipynb"]
