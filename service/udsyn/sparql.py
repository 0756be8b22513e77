"""A small SPARQL lexer and what udsyn needs from it.

It tells a query's form, finds the datasets a query names (``FROM``/``FROM NAMED``), refuses
constructs that would make a store reach out (``SERVICE``), and places a ``VALUES`` block of
bound parameters inside a query's ``WHERE`` clause. Strings, IRIs and comments are skipped
as wholes, so text inside them is never mistaken for a keyword.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n]*)
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
    | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7-\uFFFF]*)?:
                (?:[\w\-.:%\\\u00B7-\uFFFF]*[\w\-:%\u00B7-\uFFFF])?)
    | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_WORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)


class QueryRefused(ValueError):
    """A query udsyn will not run, with the reason in words."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class QueryInfo:
    """What the lexer learns of a query without running it."""

    form: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of a query (no spaces, no comments)."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield Token(kind, match.group(), match.start())


@functools.lru_cache(maxsize=4096)
def inspect(text: str, base_iri: str | None = None) -> QueryInfo:
    """The form and datasets of a query; refuses updates, ``SERVICE`` and two queries in one.

    Answers are remembered: services see the same query texts again and again.
    """
    prefixes: dict[str, str] = {}
    base = base_iri or ""
    form = ""
    graphs: dict[bool, list[str]] = {False: [], True: []}
    stream = list(tokens(text))
    depth = 0
    for position, token in enumerate(stream):
        word = token.keyword
        depth += {"{": 1, "}": -1}.get(token.text, 0)
        if word == "SERVICE":
            raise QueryRefused("SERVICE is not allowed: udsyn never sends queries to other servers")
        if depth == 0 and (word in QUERY_FORMS or word in UPDATE_WORDS):
            if form:
                raise QueryRefused(f"one request holds one query; found {form} and then {word}")
            if word in UPDATE_WORDS:
                raise QueryRefused(f"{word} is SPARQL Update; this endpoint only answers queries")
            form = word
        elif word == "BASE" and _kind(stream, position + 1) == "iri":
            base = urljoin(base, stream[position + 1].text[1:-1])
        elif word == "PREFIX" and _kind(stream, position + 1) == "pname":
            if _kind(stream, position + 2) == "iri":
                name = stream[position + 1].text.rstrip(":")
                prefixes[name] = urljoin(base, stream[position + 2].text[1:-1])
        elif word == "FROM" and form:
            named = _keyword(stream, position + 1) == "NAMED"
            target = stream[
                position + 2 if named else position + 1 : position + 3 if named else position + 2
            ]
            if not target:
                raise QueryRefused("FROM needs a graph IRI")
            iri = _resolve(target[0], prefixes, base)
            graphs[named].append(iri)
    if not form:
        raise QueryRefused("no query found: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return QueryInfo(form, tuple(graphs[False]), tuple(graphs[True]))


def insert_values(text: str, block: str) -> str:
    """The query with ``block`` (a ``VALUES`` clause) placed first in its ``WHERE`` group.

    Placed there, the bound values are in scope for every pattern and ``FILTER`` of the
    group, as if the variables had been bound before the query ran.
    """
    seen_where = False
    form = ""
    for token in tokens(text):
        word = token.keyword
        if word in QUERY_FORMS:
            form = word
        elif word == "WHERE":
            seen_where = True
        elif token.text == "{" and form and (seen_where or form != "CONSTRUCT"):
            insert_at = token.start + 1
            return f"{text[:insert_at]}\n  {block}\n{text[insert_at:]}"
    raise QueryRefused("the query has no WHERE group to bind parameters in")


@functools.lru_cache(maxsize=4096)
def cap_rows(text: str, cap: int) -> str | None:
    """The query with a top-level ``LIMIT`` of at most ``cap``; ``None`` if it has one already.

    ``ASK`` queries are returned unchanged: they answer with one boolean.
    """
    stream = list(tokens(text))
    depth = 0
    form = ""
    trailing_values: Token | None = None
    for position, token in enumerate(stream):
        depth += {"{": 1, "}": -1}.get(token.text, 0)
        if depth != 0:
            continue
        word = token.keyword
        if word in QUERY_FORMS:
            form = word
        elif word == "VALUES" and form:
            trailing_values = token
        elif word == "LIMIT" and form and _kind(stream, position + 1) == "number":
            number = stream[position + 1]
            if int(number.text) <= cap:
                return None
            end = number.start + len(number.text)
            return f"{text[: number.start]}{cap}{text[end:]}"
    if form == "ASK":
        return text
    if trailing_values is not None:
        at = trailing_values.start
        return f"{text[:at]}LIMIT {cap}\n{text[at:]}"
    return f"{text}\nLIMIT {cap}\n"


def _kind(stream: list[Token], position: int) -> str:
    return stream[position].kind if position < len(stream) else ""


def _keyword(stream: list[Token], position: int) -> str:
    return stream[position].keyword if position < len(stream) else ""


def _resolve(token: Token, prefixes: dict[str, str], base: str) -> str:
    if token.kind == "iri":
        return urljoin(base, token.text[1:-1])
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    raise QueryRefused(f"FROM needs a graph IRI, found {token.text!r}")
