"""``udsyn check``: partnership registers against the register shapes and the graph."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer

from udsyn.cli.common import FINDINGS, Failure, app, out, settings_of
from udsyn.config import Settings
from udsyn.store import EmbeddedStore, Store, StoreUnavailable, open_store

CHECK_FORMATS = ("text", "json", "junit", "sarif", "shacl")


@app.command()
def check(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Registers: .csv, .xlsx, .ttl or .jsonld files.")
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="The date the date rules judge by (YYYY-MM-DD); default: today.",
        ),
    ] = None,
    output: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help=", ".join(CHECK_FORMATS) + ".")
    ] = "text",
) -> None:
    """Check partnership registers against the register shapes and the graph in the store.

    Writes nothing. When the store is empty, the records are checked against the shipped
    strategy graph. Exits 1 when a record has a violation.

    Example: `udsyn check partners.csv --format junit > udsyn-check.xml`
    """
    from udsyn.registers import RegisterError, check_registers

    if output not in CHECK_FORMATS:
        raise Failure(f"--format is one of {', '.join(CHECK_FORMATS)}, not {output!r}")
    date = _date(as_of) if as_of else None
    with _graph(settings_of(ctx)) as store:
        try:
            report = check_registers(paths, store, as_of=date)
        except RegisterError as error:
            raise Failure(str(error)) from None
    text = getattr(report, f"to_{output}")()
    out.print(text, highlight=False, markup=False)
    if not report.conforms:
        raise typer.Exit(FINDINGS)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise Failure(f"--as-of takes a date as YYYY-MM-DD, not {text!r}") from None


def _graph(settings: Settings) -> Store:
    """The configured store, or the shipped strategy graph in memory if that is empty."""
    try:
        store = open_store(settings, read_only=True)
    except StoreUnavailable:
        return _shipped(settings.base_iri)
    if store.is_empty():
        store.close()
        return _shipped(settings.base_iri)
    return store


def _shipped(base_iri: str) -> Store:
    from udsyn.loading import read_all, shipped_sources

    store = EmbeddedStore(base_iri)
    store.add_all(read_all(shipped_sources(), base_iri))
    return store
