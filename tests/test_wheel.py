"""A plain, non-editable install of the wheel works from outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_carries_the_graph_and_runs_anywhere(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(wheels), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    wheel = next(wheels.glob("udsyn-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("UDSYN")}
    environment.pop("PYTHONPATH", None)

    def udsyn(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "udsyn"), *arguments],
            capture_output=True, text=True, cwd=elsewhere, env=environment, timeout=300,
        )  # fmt: skip

    located = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import udsyn.shipped as s; print(s.shipped_dir('data')); print(len(s.query_files()))"],
        capture_output=True, text=True, cwd=elsewhere, env=environment, check=True,
    )  # fmt: skip
    data_dir, question_count = located.stdout.split()
    assert str(venv) in data_dir and str(ROOT) not in data_dir
    assert int(question_count) >= 20

    loaded = udsyn("load", "--shipped")
    assert loaded.returncode == 0, loaded.stderr
    assert (elsewhere / ".udsyn" / "store").is_dir()
    answer = udsyn("query", "--format", "json", "ASK { ?r a uds:Region }")
    assert json.loads(answer.stdout)["boolean"] is True
    listing = udsyn("questions")
    assert listing.returncode == 0 and "title" in listing.stdout
