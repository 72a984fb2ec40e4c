"""Grading tools used by nbgrader_config.py: feedback that never shows hidden tests."""
