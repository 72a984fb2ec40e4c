"""`make lab` serves the course: start it on localhost and fetch a lecture through the server API."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    port, token = free_port(), secrets.token_hex(16)
    log = tmp_path_factory.mktemp("lab") / "lab.log"
    args = f"--no-browser --ip=127.0.0.1 --ServerApp.token={token} --ServerApp.open_browser=False"
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"PORT={port}", f"LAB_ARGS={args}"],
                                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get_json(f"{base}/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"make lab did not serve within 120 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
def test_make_lab_serves_the_lecture(lab_server):
    base, token = lab_server
    lecture = get_json(f"{base}/api/contents/lectures/03_gradient_descent.ipynb?content=1", token)
    assert lecture["type"] == "notebook"
    cells = lecture["content"]["cells"]
    assert any("gradient descent" in "".join(c["source"]).lower() for c in cells if c["cell_type"] == "markdown")
    listing = get_json(f"{base}/api/contents/lectures", token)
    assert {"03_gradient_descent.ipynb"} <= {item["name"] for item in listing["content"]}


@pytest.mark.slow
def test_make_lab_has_the_course_kernel_and_nbgrader(lab_server):
    base, token = lab_server
    specs = get_json(f"{base}/api/kernelspecs", token)
    assert specs["kernelspecs"]["python3"]["spec"]["display_name"] == "Python 3 (nn-course)"
    extensions = get_json(f"{base}/lab/api/extensions", token)
    records = extensions if isinstance(extensions, list) else extensions.get("data", [])
    nbgrader = [e for e in records if e["name"] == "jupyter-nbgrader"]
    assert nbgrader, f"nbgrader's JupyterLab extension is not installed: {sorted(e['name'] for e in records)}"
    assert nbgrader[0].get("enabled", True), "nbgrader's JupyterLab extension is installed but disabled"


def test_lab_refuses_an_unauthenticated_request(lab_server):
    base, _ = lab_server
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{base}/api/contents/lectures", timeout=10)
    assert info.value.code in (401, 403)
