"""``udsyn publish``: a release of the store's graph, with its DCAT-AP catalogue and VoID."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer

from udsyn.cli.common import FINDINGS, Failure, app, out, settings_of
from udsyn.store import open_store


@app.command()
def publish(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder to write the release into.")],
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="DATE",
            help="The release date (YYYY-MM-DD), as issued and modified; default: today (UTC).",
        ),
    ] = None,
    release: Annotated[
        str | None,
        typer.Option("--release", metavar="VERSION", help="The release's version; default: DATE."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Check the catalogue against the DCAT-AP shapes (3.0.0, 3.0.1, 2.1.1 and "
            "DCAT-AP-DK 2.0.2's additions) too; exit 1 on a violation.",
        ),
    ] = False,
) -> None:
    """Write a release: the whole graph as N-Quads, TriG, Turtle, N-Triples, JSON-LD and
    RDF/XML (each also gzipped), the ontology, concept schemes and shapes, the partner
    register as CSV, a DCAT-AP 3 catalogue (Turtle, RDF/XML, JSON-LD, and one for DCAT-AP
    2.1.1), a VoID description and a README.

    The publisher's details come from `[publish]` in udsyn.toml and `UDSYN_PUBLISH_*`. The
    same store and `--date` give byte-identical files.

    Example: `udsyn publish release/ --date 2026-12-01 --check`
    """
    from udsyn.publish.release import build_release
    from udsyn.publish.settings import load_publish_settings

    settings = settings_of(ctx)
    day = _date(date) if date else datetime.datetime.now(datetime.UTC).date()
    if folder.exists() and not folder.is_dir():
        raise Failure(f"{folder} is a file; name a folder to write the release into")
    publisher = load_publish_settings().resolved(settings)
    with open_store(settings, read_only=True) as store:
        if store.is_empty():
            raise Failure(
                f"the {store.description} holds nothing to publish; load the strategy first "
                "with `udsyn load --shipped`"
            )
        built = build_release(store, settings.service_url, publisher, day, release)
    try:
        built.write(folder)
    except OSError as error:
        raise Failure(f"cannot write the release into {folder}: {error.strerror}") from None
    for name, content in built.files.items():
        out.print(f"{len(content):>10}  {folder / name}", highlight=False, markup=False)
    if check and not _conforms(built.files):
        raise typer.Exit(FINDINGS)


def _conforms(files: dict[str, bytes]) -> bool:
    """Print each profile's result with its findings; True when none has a violation."""
    from rdflib import Graph

    from udsyn.publish.checking import ShapesMissing, check_catalogue
    from udsyn.publish.release import CATALOGUE_2_1_1

    catalogue = Graph().parse(data=files["catalog.ttl"], format="turtle")
    catalogue_2_1_1 = Graph().parse(data=files[CATALOGUE_2_1_1], format="turtle")
    try:
        results = check_catalogue(catalogue, catalogue_2_1_1)
    except ShapesMissing as error:
        raise Failure(str(error)) from None
    for result in results:
        out.print(result.summary(), highlight=False, markup=False)
        for finding in result.findings:
            out.print(f"  {finding.severity} {finding.focus} {finding.path}: {finding.message}",
                      highlight=False, markup=False)  # fmt: skip
    return all(result.conforms for result in results)


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise Failure(f"--date takes a date as YYYY-MM-DD, not {text!r}") from None
