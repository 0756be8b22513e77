"""What every command module shares: the ``app``, its global options, its consoles, and
the one place where failures become a line of text and an exit code.

Exit codes: 0 all well, 1 findings (a check found violations), 2 usage, input or store
errors. Every failure is one line on stderr, ``error: ...``, never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from udsyn import __version__
from udsyn.config import ConfigError, RemoteEndpoint, Settings, load_settings
from udsyn.formats import NotAcceptable
from udsyn.loading import LoadError
from udsyn.questions import ParameterError, QuestionError
from udsyn.store import StoreError

ALL_WELL = 0
FINDINGS = 1
USAGE = 2

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

# Failures a person can mend from the message alone: told in one line, exit code 2.
EXPECTED = (ConfigError, LoadError, StoreError, QuestionError, ParameterError, NotAcceptable)


class Failure(Exception):
    """A failure a command reports in its own words (exit code 2)."""


class _PlainHelp:
    """Help that shows what an option takes (``--format FORMAT``), never a Python type.

    Flags take nothing and show nothing; arguments show their name in capitals.
    """

    def get_params(self, ctx: typer.Context) -> list:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if isinstance(param, TyperOption) and param.metavar is None:
                param.metavar = "" if param.is_flag or param.count else (param.name or "").upper()
            elif isinstance(param, TyperArgument):
                if param.metavar is None:
                    many = "..." if param.nargs != 1 else ""
                    param.metavar = (param.name or "").upper() + many
                param.display_type_rich = _no_type  # type: ignore[method-assign]
        return params


def _no_type(ctx: typer.Context) -> None:
    return None


class Command(_PlainHelp, TyperCommand):
    """A udsyn command."""


class Group(_PlainHelp, TyperGroup):
    """The ``udsyn`` group of commands."""


class Udsyn(typer.Typer):
    """The ``udsyn`` application: commands default to :class:`Command`, and running it turns
    every failure into one line and a documented exit code."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or Command, **kwargs)

    def __call__(self, args: Sequence[str] | None = None, prog_name: str = "udsyn") -> NoReturn:
        sys.exit(run(self, args, prog_name))


def run(application: typer.Typer, args: Sequence[str] | None, prog_name: str) -> int:
    """Run the command line and return its exit code; the one error wrapper of udsyn."""
    command = typer.main.get_command(application)
    try:
        code = command.main(args=args, prog_name=prog_name, standalone_mode=False)
    except NoArgsIsHelpError as shown:
        out.print(shown.format_message(), highlight=False, markup=False)
        return USAGE
    except UsageError as error:
        where = error.ctx.command_path if error.ctx else prog_name
        return _fail(f"{where}: {error.format_message()} (see `{where} --help`)")
    except ClickException as error:
        return _fail(error.format_message())
    except typer.Abort:
        return _fail("stopped")
    except (*EXPECTED, Failure) as error:
        return _fail(str(error))
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        return _fail(f"{error.strerror or error}{where}")
    except Exception as error:
        if os.environ.get("UDSYN_DEBUG"):
            raise
        return _fail(
            f"udsyn failed unexpectedly ({type(error).__name__}: {error}); "
            "UDSYN_DEBUG=1 shows where"
        )
    return code if isinstance(code, int) else ALL_WELL


def _fail(message: str) -> int:
    line = " ".join(message.split())
    err.print(f"[bold red]error:[/] {escape(line)}", highlight=False, markup=True)
    return USAGE


def _print_version(value: bool) -> None:
    if value:
        out.print(f"udsyn {__version__}")
        raise typer.Exit()


app = Udsyn(
    cls=Group,
    help="udsyn: a linked-data knowledge graph of regional international relations.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    store: Annotated[
        str | None,
        typer.Option(
            metavar="FOLDER",
            help="Folder of the embedded store, or ':memory:'. [env: UDSYN_STORE; "
            "default: .udsyn/store]",
        ),
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Query URL of a SPARQL 1.1 server to use instead. [env: UDSYN_ENDPOINT]",
        ),
    ] = None,
    update_endpoint: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Update URL of that server. [env: UDSYN_UPDATE_ENDPOINT]"),
    ] = None,
    base_iri: Annotated[
        str | None,
        typer.Option(metavar="IRI", help="Base of the IRIs udsyn mints. [env: UDSYN_BASE_IRI]"),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Load, query, check and serve a knowledge graph of international relations."""
    settings = load_settings().with_overrides(store_path=store, base_iri=base_iri)
    if endpoint:
        remote = settings.remote or RemoteEndpoint(query_url=endpoint)
        settings = settings.with_overrides(
            remote=RemoteEndpoint(
                query_url=endpoint,
                update_url=update_endpoint or remote.update_url,
                user=remote.user,
                password=remote.password,
                token=remote.token,
                timeout=remote.timeout,
            )
        )
    ctx.obj = settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the global options and the environment gave."""
    return ctx.obj
