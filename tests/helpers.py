"""Running the installed diffcli executable, as a user does."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"


def executable():
    beside = Path(sys.executable).parent / "diffcli"
    found = str(beside) if beside.exists() else shutil.which("diffcli")
    assert found, "the diffcli executable is not installed"
    return found


def run(*args, stdin=None, cwd=None):
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    return subprocess.run([executable(), *args], input=stdin, capture_output=True,
                          cwd=cwd, env=env, timeout=300)


def json_records(stdout):
    return [json.loads(line) for line in stdout.decode().splitlines()]
