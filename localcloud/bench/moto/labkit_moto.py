"""pytest plugin for run.sh: a fresh `lab cloud` on LABKIT_PORT before each test.

Also keeps botocore off awscrt (Debian's awscli pulls it in; a pytest-timeout
raised inside its callbacks is swallowed and the run hangs).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

sys.modules["awscrt"] = None  # import fails: botocore falls back to its own signer

LAB = os.environ.get("LAB_BIN", "lab")
PORT = os.environ["LABKIT_PORT"]
_proc = None


def _start():
    global _proc
    data = os.path.join(tempfile.gettempdir(), f"labkit-moto-{PORT}")
    shutil.rmtree(data, ignore_errors=True)
    log = open(data + ".log", "ab")
    _proc = subprocess.Popen([LAB, "cloud", "--addr", f"127.0.0.1:{PORT}", "--data", data], stdout=log, stderr=log)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/_lab/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"lab cloud did not start on {PORT}")


def _stop():
    global _proc
    if _proc is not None:
        _proc.terminate()
        try:
            _proc.wait(5)
        except subprocess.TimeoutExpired:
            _proc.kill()
            _proc.wait()
        _proc = None


@pytest.fixture(autouse=True)
def _fresh_cloud():
    _start()
    yield
    _stop()
