'''The ``udsyn`` command: one module per family of commands, one error wrapper at the entry.

``udsyn.cli.common`` holds ``app`` (the entry point ``udsyn = "udsyn.cli:app"``), the global
options, the consoles and :func:`~udsyn.cli.common.run`, the one place where a failure
becomes one line on stderr and exit code 2. Commands raise; they do not print errors.

A command module registers its commands by importing ``app`` and decorating them::

    # udsyn/cli/checking.py
    from udsyn.cli.common import Failure, app, settings_of

    @app.command()
    def check(ctx: typer.Context, ...) -> None:
        """One line on what it does.

        Example: `udsyn check registers/partners.csv`
        """

and this package imports the module below, which adds the command to ``udsyn --help`` in
the order of the imports. Raise :class:`~udsyn.cli.common.Failure` (or one of the expected
errors in ``common.EXPECTED``) for exit code 2, ``typer.Exit(FINDINGS)`` for 1.
'''

from udsyn.cli import checking, data, publishing, querying, records, serving, validating
from udsyn.cli.common import app

__all__ = ["app", "checking", "data", "publishing", "querying", "records", "serving", "validating"]
