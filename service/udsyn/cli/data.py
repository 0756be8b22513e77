"""``udsyn load``, ``udsyn export`` and ``udsyn status``: the data in the store."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from udsyn.cli.common import Failure, app, err, out, settings_of
from udsyn.formats import DATASET_FORMATS, GRAPH_FORMATS, by_name
from udsyn.loading import Source, collect_sources, read_all, shipped_sources
from udsyn.namespaces import serialisation_prefixes
from udsyn.store import EmbeddedStore, Store, open_store

# Under union-default-graph semantics a triple matches once for each graph that states it.
QUAD_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def load_into(store: Store, sources: list[Source], base_iri: str) -> int:
    """Load sources into the store in one transaction, with a progress bar on a terminal.

    Returns how many quads were read.
    """
    with Progress(
        TextColumn("loading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("", total=len(sources))

        def finished(source: Source) -> None:
            progress.update(task, advance=1, description=source.path.name)

        return store.add_all(read_all(sources, base_iri, on_file=finished))


@app.command()
def load(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to load.")] = None,
    graph: Annotated[
        str | None,
        typer.Option(metavar="IRI", help="Named graph for triples (default: the default graph)."),
    ] = None,
    shipped: Annotated[
        bool, typer.Option("--shipped", help="Load the shipped ontology and strategy data.")
    ] = False,
) -> None:
    """Load RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) in one transaction.

    A file that does not parse stops the load before anything is stored.

    Example: `udsyn load records/ partners.ttl --graph https://example.org/graph/records`
    """
    settings = settings_of(ctx)
    sources = shipped_sources() if shipped else []
    if paths:
        sources += collect_sources(paths, graph)
    if not sources:
        raise typer.BadParameter("name files or folders to load, or --shipped")
    with open_store(settings) as store:
        count = load_into(store, sources, settings.base_iri)
    out.print(f"loaded {count} quads from {len(sources)} files into {store.description}")


@app.command()
def export(
    ctx: typer.Context,
    output: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="turtle, ntriples, jsonld, rdfxml (the union of all graphs), or trig, nquads "
            "(graphs kept).",
        ),
    ] = "turtle",
    to: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", dir_okay=False, help="File to write."),
    ] = None,
) -> None:
    """Write the whole graph out.

    Example: `udsyn export --format trig -o udsyn.trig`
    """
    chosen = by_name(output, GRAPH_FORMATS + DATASET_FORMATS)
    with open_store(settings_of(ctx), read_only=True) as store:
        content = store.quads() if chosen in DATASET_FORMATS else store.triples()
        prefixes = serialisation_prefixes(store.base_iri)
        data = ox.serialize(content, format=chosen.native, prefixes=prefixes)
    if to is None:
        sys.stdout.buffer.write(data)
        return
    try:
        to.write_bytes(data)
    except OSError as error:
        raise Failure(f"cannot write {to}: {error.strerror}") from None
    err.print(f"wrote {len(data)} bytes to {to}")


SLOW_OPEN_SECONDS = 1.0


def slow_open_note(seconds: float, folder: Path) -> str:
    """What ``status`` says of an open that took long: mostly a write-ahead log replayed,
    left by a program that wrote the folder without flushing (udsyn's own writes flush)."""
    log_bytes = sum(entry.stat().st_size for entry in folder.glob("*.log"))
    return (
        f"opening the store took {seconds:.1f} s; its write-ahead log holds "
        f"{log_bytes / 2**20:.1f} MB, replayed at every open until the next `udsyn load` "
        "flushes it"
    )


@app.command()
def status(ctx: typer.Context) -> None:
    """Tell where the store is and what it holds.

    Quads count a triple once for each graph that states it, as `load` and a query's
    `COUNT(*)` over `?s ?p ?o` do; distinct triples count it once, as `export` writes the
    union of the graphs.

    Example: `udsyn --store .udsyn/store status`
    """
    started = time.perf_counter()
    with open_store(settings_of(ctx), read_only=True) as store:
        opened = time.perf_counter() - started
        quads = int(next(iter(store.select(QUAD_COUNT)))["n"].value)  # type: ignore[arg-type]
        out.print(store.description)
        if opened > SLOW_OPEN_SECONDS and isinstance(store, EmbeddedStore) and store.path:
            out.print(slow_open_note(opened, Path(store.path)))
        out.print(f"quads (a triple once per graph that states it): {quads}")
        out.print(f"distinct triples (the union of the graphs): {store.triple_count()}")
        out.print(f"named graphs: {len(store.graph_names())}")
