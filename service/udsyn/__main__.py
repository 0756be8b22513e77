"""``python -m udsyn`` is the ``udsyn`` command."""

from udsyn.cli import app

app(prog_name="udsyn")
