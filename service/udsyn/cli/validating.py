"""``udsyn validate``: the graph against the SHACL shapes and the OWL ontology."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from udsyn.cli.common import FINDINGS, app, out, settings_of
from udsyn.loading import collect_sources, read_all
from udsyn.store import StoreError, open_store


@app.command()
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files to check (with the shipped ontology); default: the store."),
    ] = None,
    output: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="text or json.")
    ] = "text",
    reasoner: Annotated[bool, typer.Option(help="Also check OWL consistency with HermiT.")] = True,
    with_shipped_data: Annotated[
        bool,
        typer.Option(
            help="Check the files together with the shipped graph, so records may refer to the "
            "places and organisations it describes; only the files' resources are reported."
        ),
    ] = False,
) -> None:
    """Check the graph against the SHACL shapes and the OWL ontology.

    Exits 1 when there are violations.

    Example: `udsyn validate --format json` or `udsyn validate records.ttl --with-shipped-data`
    """
    # pySHACL and owlready2 take a while to import; only this command needs them.
    from udsyn.validation import graph_from_files, graph_from_store, run_checks

    if output not in ("text", "json"):
        raise typer.BadParameter(f"--format is text or json, not {output!r}")
    settings = settings_of(ctx)
    if paths:
        sources = collect_sources(paths)
        graph = graph_from_files(sources, settings.base_iri, with_shipped_data=with_shipped_data)
    else:
        with open_store(settings, read_only=True) as store:
            if store.is_empty():
                raise StoreError(f"the {store.description} is empty: there is nothing to check")
            graph = graph_from_store(store)
    report = run_checks(graph, reasoner=reasoner)
    if paths and with_shipped_data:
        report = report.about({quad.subject.value for quad in read_all(sources, settings.base_iri)})
    out.print(report.to_json() if output == "json" else report.to_text(), highlight=False,
              markup=False)  # fmt: skip
    if not report.conforms:
        raise typer.Exit(FINDINGS)
