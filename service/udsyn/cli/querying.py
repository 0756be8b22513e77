"""``udsyn query``, ``udsyn ask`` and ``udsyn questions``: asking the graph."""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
import typer
from rich.table import Table
from rich.text import Text

from udsyn.cli.common import Failure, app, err, out, settings_of
from udsyn.config import Settings
from udsyn.formats import GRAPH_FORMATS, RESULT_FORMATS, Format, NotAcceptable, by_name
from udsyn.namespaces import compact, serialisation_prefixes
from udsyn.questions import LANGUAGES_QUERY, ParameterError, Question, shipped_questions
from udsyn.sparql.grammar import Term
from udsyn.store import Store, open_store

TABLE = "table"
_TABLE_NAMES = ", ".join((TABLE, *(f.name for f in RESULT_FORMATS)))
_GRAPH_NAMES = ", ".join(f.name for f in GRAPH_FORMATS)
FORMAT_HELP = (
    f"{_TABLE_NAMES} (SELECT, ASK) or {_GRAPH_NAMES} (CONSTRUCT, DESCRIBE, which answer as "
    "turtle when the format is table)."
)


@app.command()
def query(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(metavar="QUERY", help="The SPARQL query.")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            metavar="FILE",
            exists=True,
            dir_okay=False,
            help="Read the query from a file.",
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", metavar="FORMAT", help=FORMAT_HELP)] = TABLE,
) -> None:
    """Run a SPARQL query and print its answer.

    The vocabularies' prefixes (uds:, rdfs:, skos: ...) need no declaring.

    Example: `udsyn query 'SELECT ?r ?label WHERE { ?r a uds:Region ; rdfs:label ?label }'`
    """
    if text is None and file is None:
        raise typer.BadParameter("give the query inline or with --file")
    if text is not None and file is not None:
        raise typer.BadParameter("give the query inline or with --file, not both")
    sparql = read_query_file(file) if file else text
    print_answer(settings_of(ctx), sparql or "", output)


def read_query_file(path: Path) -> str:
    """The text of a query file, or a failure that names the file."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise Failure(f"{path} is not UTF-8 text (byte {error.start + 1})") from None
    except OSError as error:
        raise Failure(f"cannot read {path}: {error.strerror}") from None


@app.command()
def ask(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The question's name (see `udsyn questions`).")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", metavar="KEY=VALUE", help="A parameter as key=value."),
    ] = None,
    output: Annotated[str, typer.Option("--format", metavar="FORMAT", help=FORMAT_HELP)] = TABLE,
) -> None:
    """Ask a named question from the question library.

    A parameter left out takes its default (`udsyn questions` lists them).

    Example: `udsyn ask partners-by-focus-area --param area=id/focus-area/food`
    """
    values: dict[str, str] = {}
    for pair in param or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"--param takes key=value, got {pair!r}")
        values[key.strip()] = value
    settings = settings_of(ctx)
    question = shipped_questions().get(name)
    check_format(output)
    try:  # a value of the wrong type is told before the store is opened
        question.bind(values, settings.base_iri)
    except ParameterError as error:
        if error.parameter not in {p.name for p in question.parameters if p.type == "language"}:
            raise  # a language is told with the languages the graph holds, below
    with open_store(settings, read_only=True) as store:
        languages = graph_languages(store) if question.takes_language else frozenset()
        bindings = question.bind(values, settings.base_iri, languages)
        note = _parameters_note(question, values)
        _print_answer(store, settings, question.text, output, bindings, note)


def graph_languages(store: Store) -> frozenset[str]:
    """The language tags of the text the graph holds, in lower case."""
    solutions = store.select(LANGUAGES_QUERY)
    return frozenset(row["lang"].value.lower() for row in solutions)  # type: ignore[union-attr]


def _parameters_note(question: Question, values: Mapping[str, str]) -> str:
    used = [
        f"{name}={value}{'' if name in values else ' (default)'}"
        for name, value in question.values_used(values).items()
    ]
    return f"; {', '.join(used)}" if used else ""


@app.command()
def questions() -> None:
    """List the named questions with their parameters.

    Example: `udsyn questions`
    """
    rows = [
        [
            question.name,
            question.title,
            ", ".join(
                f"{p.name} ({p.type}{'' if p.required else ' = ' + str(p.default)})"
                for p in question.parameters
            ),
        ]
        for question in shipped_questions()
    ]
    print_rows(["name", "title", "parameters"], rows)


# -- answers -----------------------------------------------------------------------------


def check_format(output: str) -> None:
    """Refuse a format name that no query can be answered in."""
    if output == TABLE:
        return
    try:
        by_name(output, RESULT_FORMATS + GRAPH_FORMATS)
    except NotAcceptable:
        raise Failure(f"unknown format {output!r}; choose one of {FORMAT_HELP}") from None


def print_answer(settings: Settings, sparql: str, output: str) -> None:
    """Run a query on the configured store and print its answer in ``output``."""
    check_format(output)
    with open_store(settings, read_only=True) as store:
        _print_answer(store, settings, sparql, output)


def _print_answer(
    store: Store,
    settings: Settings,
    sparql: str,
    output: str,
    bindings: dict[str, Term] | None = None,
    note: str = "",
) -> None:
    info = store.check(sparql)
    chosen = _chosen_format(output, info.form, info.returns_graph)
    if chosen is None:
        _print_table(store.select(sparql, bindings=bindings), settings.base_iri, note)
        if store.is_empty():
            err.print("the store is empty: run `udsyn load --shipped` or `udsyn serve`")
        return
    answer = store.query(sparql, chosen, bindings=bindings)
    if chosen.name == "turtle":
        graph = ox.parse(answer, format=ox.RdfFormat.TURTLE)
        answer = ox.serialize(
            (q.triple for q in graph), format=ox.RdfFormat.TURTLE,
            prefixes=serialisation_prefixes(settings.base_iri),
        )  # fmt: skip
    sys.stdout.buffer.write(answer)


def _chosen_format(output: str, form: str, returns_graph: bool) -> Format | None:
    """The format for a query of this form; ``None`` for a table of solutions."""
    if output == TABLE:
        return by_name("turtle", GRAPH_FORMATS) if returns_graph else None
    choices = GRAPH_FORMATS if returns_graph else RESULT_FORMATS
    try:
        return by_name(output, choices)
    except NotAcceptable:
        fitting = _GRAPH_NAMES if returns_graph else _TABLE_NAMES
        raise Failure(f"a {form} query answers as {fitting}, not {output}") from None


def _print_table(solutions: ox.QuerySolutions | ox.QueryBoolean, base_iri: str, note: str) -> None:
    """Solutions as a table on a terminal; elsewhere as CSV, every value in full.

    Either way IRIs are shortened to prefixed names (and the data's own IRIs to the part
    after the base), so a terminal cuts as little as it can.
    """
    if isinstance(solutions, ox.QueryBoolean):
        out.print("true" if solutions else "false")
        return
    names = [variable.value for variable in solutions.variables]
    rows = [[compact(row[name], base_iri) for name in names] for row in solutions]
    print_rows(names, rows)
    err.print(f"{len(rows)} rows{note}", highlight=False, markup=False)


def print_rows(names: list[str], rows: list[list[str]]) -> None:
    """A table on a terminal, cut to its width; elsewhere CSV, every value in full."""
    if out.is_terminal:
        table = Table(*names, show_lines=False, highlight=False)
        for row in rows:
            table.add_row(*(Text(value) for value in row))
        out.print(table)
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(rows)
    sys.stdout.flush()
