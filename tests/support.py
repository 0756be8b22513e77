"""Helpers the test modules share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

REGISTERS = Path(__file__).parent / "registers"


def udsyn(
    *arguments: str, cwd: Path | None = None, **environment: str
) -> subprocess.CompletedProcess[str]:
    """``udsyn`` run as a user runs it, in a subprocess, with no ``UDSYN_*`` settings but
    those given."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("UDSYN_")}
    return subprocess.run(
        [sys.executable, "-m", "udsyn", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**env, **environment},
        timeout=300,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command printed, after checking it is one line and no more."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    return lines[0]


def accept_register(url: str, token: str, name: str = "clean.csv") -> httpx.Response:
    """A test register sent to a running service's ``POST /records`` with a write token."""
    return httpx.post(
        f"{url}/records",
        content=(REGISTERS / name).read_bytes(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        timeout=300,
    )


def retract_batch(url: str, token: str, batch: str) -> httpx.Response:
    """``DELETE /records/batches/{batch}`` on a running service, with a write token."""
    return httpx.delete(
        f"{url}/records/batches/{batch}", headers={"Authorization": f"Bearer {token}"}, timeout=300
    )
