"""The ``udsyn`` command: one command per task.

Exit codes: 0 all well, 1 findings (a validation found violations), 2 usage, input or
store errors.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pyoxigraph as ox
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from udsyn import __version__
from udsyn.config import ConfigError, RemoteEndpoint, Settings, load_settings
from udsyn.formats import (
    DATASET_FORMATS,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    NotAcceptable,
    by_name,
)
from udsyn.loading import LoadError, Source, collect_sources, read_all, shipped_sources
from udsyn.namespaces import compact, serialisation_prefixes
from udsyn.questions import ParameterError, QuestionError, shipped_questions
from udsyn.sparql.grammar import Term
from udsyn.store import ServingLock, Store, StoreError, open_store

app = typer.Typer(
    help="udsyn: a linked-data knowledge graph of regional international relations.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

FINDINGS = 1
USAGE = 2
_EXPECTED = (
    ConfigError,
    LoadError,
    StoreError,
    QuestionError,
    ParameterError,
    NotAcceptable,
)

F = TypeVar("F", bound=Callable[..., Any])


def reporting_errors(command: F) -> F:
    """Print an expected failure as one clear line and exit with code 2, never a traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except _EXPECTED as error:
            err.print(f"[bold red]error:[/] {error}", highlight=False, markup=True)
            raise typer.Exit(USAGE) from None

    return run  # type: ignore[return-value]


@app.callback()
def main(
    ctx: typer.Context,
    store: Annotated[
        str | None,
        typer.Option(
            help="Folder of the embedded store, or ':memory:'. [env: UDSYN_STORE; "
            "default: .udsyn/store]"
        ),
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(help="Query URL of a SPARQL 1.1 server to use instead. [env: UDSYN_ENDPOINT]"),
    ] = None,
    update_endpoint: Annotated[
        str | None,
        typer.Option(help="Update URL of that server. [env: UDSYN_UPDATE_ENDPOINT]"),
    ] = None,
    base_iri: Annotated[
        str | None,
        typer.Option(help="Base of the IRIs udsyn mints. [env: UDSYN_BASE_IRI]"),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    """Load, query, check and serve a knowledge graph of international relations."""
    if version:
        out.print(f"udsyn {__version__}")
        raise typer.Exit()
    try:
        settings = load_settings().with_overrides(store_path=store, base_iri=base_iri)
    except ConfigError as error:
        err.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(USAGE) from None
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


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj


def load_into(store: Store, sources: list[Source], base_iri: str) -> int:
    """Load sources into the store in one transaction, with a progress bar on a terminal."""
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
@reporting_errors
def load(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to load.")] = None,
    graph: Annotated[
        str | None, typer.Option(help="Named graph for triples (default: the default graph).")
    ] = None,
    shipped: Annotated[
        bool, typer.Option("--shipped", help="Load the shipped ontology and strategy data.")
    ] = False,
) -> None:
    """Load RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) in one transaction.

    A file that does not parse stops the load before anything is stored.

    Example: `udsyn load records/ partners.ttl --graph https://example.org/graph/records`
    """
    settings = _settings(ctx)
    sources = shipped_sources() if shipped else []
    if paths:
        sources += collect_sources(paths, graph)
    if not sources:
        raise typer.BadParameter("name files or folders to load, or --shipped")
    store = open_store(settings)
    try:
        count = load_into(store, sources, settings.base_iri)
    finally:
        store.close()
    out.print(f"loaded {count} quads from {len(sources)} files into {store.description}")


QUERY_OUTPUTS = ("table", *(f.name for f in RESULT_FORMATS + GRAPH_FORMATS))


@app.command()
@reporting_errors
def query(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="The SPARQL query.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the query from a file.")
    ] = None,
    output: Annotated[
        str,
        typer.Option(
            "--format", help=f"One of {', '.join(QUERY_OUTPUTS)}; CONSTRUCT defaults to turtle."
        ),
    ] = "table",
) -> None:
    """Run a SPARQL query and print its answer.

    Example: `udsyn query 'SELECT ?r ?label WHERE { ?r a uds:Region ; rdfs:label ?label }'`
    """
    if (text is None) == (file is None):
        raise typer.BadParameter("give the query inline or with --file, not both")
    sparql = file.read_text(encoding="utf-8") if file else text
    _print_answer(_settings(ctx), sparql or "", output)


@app.command()
@reporting_errors
def ask(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The question's name (see `udsyn questions`).")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="A parameter as key=value.")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="As for `udsyn query`.")] = "table",
) -> None:
    """Ask a named question from the question library.

    Example: `udsyn ask partners-by-focus-area --param area=id/focus-area/food`
    """
    values = {}
    for pair in param or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"--param takes key=value, got {pair!r}")
        values[key.strip()] = value
    settings = _settings(ctx)
    question = shipped_questions().get(name)
    _print_answer(settings, question.text, output, question.bind(values, settings.base_iri))


@app.command()
@reporting_errors
def questions() -> None:
    """List the named questions with their parameters.

    Example: `udsyn questions`
    """
    table = Table("name", "title", "parameters", show_lines=False)
    for question in shipped_questions():
        parameters = ", ".join(
            f"{p.name} ({p.type}{'' if p.required else ' = ' + str(p.default)})"
            for p in question.parameters
        )
        table.add_row(question.name, question.title, parameters)
    out.print(table)


@app.command()
@reporting_errors
def export(
    ctx: typer.Context,
    output: Annotated[
        str,
        typer.Option(
            "--format",
            help="turtle, ntriples, jsonld, rdfxml (the union of all graphs), or trig, nquads "
            "(graphs kept).",
        ),
    ] = "turtle",
    to: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Write the whole graph out.

    Example: `udsyn export --format trig -o udsyn.trig`
    """
    chosen = by_name(output, GRAPH_FORMATS + DATASET_FORMATS)
    store = open_store(_settings(ctx), read_only=True)
    try:
        content = store.quads() if chosen in DATASET_FORMATS else store.triples()
        prefixes = serialisation_prefixes(store.base_iri)
        data = ox.serialize(content, format=chosen.native, prefixes=prefixes)
    finally:
        store.close()
    if to:
        to.write_bytes(data)
        err.print(f"wrote {len(data)} bytes to {to}")
    else:
        sys.stdout.buffer.write(data)


@app.command()
@reporting_errors
def status(ctx: typer.Context) -> None:
    """Tell where the store is and what it holds.

    Example: `udsyn --store .udsyn/store status`
    """
    store = open_store(_settings(ctx), read_only=True)
    try:
        out.print(store.description)
        out.print(f"triples (all graphs together): {store.triple_count()}")
        out.print(f"named graphs: {len(store.graph_names())}")
    finally:
        store.close()


@app.command()
@reporting_errors
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files to check (with the shipped ontology); default: the store."),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
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
        raise typer.BadParameter("--format is text or json")
    settings = _settings(ctx)
    if paths:
        sources = collect_sources(paths)
        graph = graph_from_files(sources, settings.base_iri, with_shipped_data=with_shipped_data)
    else:
        store = open_store(settings, read_only=True)
        try:
            if store.is_empty():
                raise StoreError(f"the {store.description} is empty: there is nothing to check")
            graph = graph_from_store(store)
        finally:
            store.close()
    report = run_checks(graph, reasoner=reasoner)
    if paths and with_shipped_data:
        report = report.about({quad.subject.value for quad in read_all(sources, settings.base_iri)})
    out.print(report.to_json() if output == "json" else report.to_text(), highlight=False,
              markup=False)  # fmt: skip
    if not report.conforms:
        raise typer.Exit(FINDINGS)


@app.command()
@reporting_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on. [env: UDSYN_HOST]")] = (
        None
    ),
    port: Annotated[int | None, typer.Option(help="Port. [env: UDSYN_PORT]")] = None,
    query_timeout: Annotated[
        float | None, typer.Option(help="Seconds a query may run. [env: UDSYN_QUERY_TIMEOUT]")
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the SPARQL endpoint, named questions and the query page.

    On first start with an empty store, the shipped strategy graph is loaded.

    Example: `udsyn serve --port 8000` then open http://127.0.0.1:8000
    """
    import uvicorn

    from udsyn.web.app import create_app

    settings = _settings(ctx).with_overrides(host=host, port=port, query_timeout=query_timeout)
    with open_store(settings) as store:
        if store.is_empty():
            count = load_into(store, shipped_sources(), settings.base_iri)
            err.print(f"loaded the shipped graph: {count} quads into {store.description}")
    lock = None
    if settings.remote is None and not settings.in_memory:
        lock = ServingLock(settings.store_path)
        lock.hold(settings.service_url)
    try:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="info",
            access_log=access_log,
        )
    finally:
        if lock is not None:
            lock.release()


# -- output -------------------------------------------------------------------------------


def _print_answer(
    settings: Settings, sparql: str, output: str, bindings: dict[str, Term] | None = None
) -> None:
    store = open_store(settings, read_only=True)
    try:
        graph_answer = store.check(sparql).returns_graph
        if output == "table" and graph_answer:
            output = "turtle"
        if output == "table":
            _print_table(store.select(sparql, bindings=bindings), settings.base_iri)
            if store.is_empty():
                err.print("the store is empty: run `udsyn load --shipped` or `udsyn serve`")
            return
        choices = GRAPH_FORMATS if graph_answer else RESULT_FORMATS
        chosen = by_name(output, choices)
        answer = store.query(sparql, chosen, bindings=bindings)
        if chosen.name == "turtle":
            graph = ox.parse(answer, format=ox.RdfFormat.TURTLE)
            answer = ox.serialize(
                (q.triple for q in graph), format=ox.RdfFormat.TURTLE,
                prefixes=serialisation_prefixes(settings.base_iri),
            )  # fmt: skip
        sys.stdout.buffer.write(answer)
    finally:
        store.close()


def _print_table(solutions: ox.QuerySolutions | ox.QueryBoolean, base_iri: str) -> None:
    if isinstance(solutions, ox.QueryBoolean):
        out.print("true" if solutions else "false")
        return
    names = [variable.value for variable in solutions.variables]
    table = Table(*names, show_lines=False, highlight=False)
    count = 0
    for row in solutions:
        table.add_row(*(compact(row[name], base_iri) for name in names))
        count += 1
    out.print(table)
    err.print(f"{count} rows")
