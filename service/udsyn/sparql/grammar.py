"""Reading SPARQL with a real grammar, and every decision udsyn takes from the parse.

The parse comes from the tree-sitter SPARQL 1.1 grammar: a C parser, linear in the length of
the text, that never recurses in Python and gives each node its position. From it udsyn tells
a query's form, the graphs it names (``FROM``, ``FROM NAMED``), whether it would reach out
(``SERVICE``) or change data (SPARQL Update), how deeply it nests and how large its algebra
is, and where the ``WHERE`` group opens (for servers that need bound parameters in the text).

A text the grammar does not read completely is refused: the engine is never asked to run a
query udsyn could not read. The engine's workers cannot reach the network either, so a
difference between this grammar and the engine's cannot make the host fetch anything.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Set
from dataclasses import dataclass
from urllib.parse import urljoin

import pyoxigraph as ox
import tree_sitter_sparql
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

QUERY_FORMS = {
    "select_query": "SELECT",
    "construct_query": "CONSTRUCT",
    "describe_query": "DESCRIBE",
    "ask_query": "ASK",
}
_PROLOGUE_KINDS = frozenset({"prologue", "comment", "values_clause"})

# The engine's parser and evaluator recurse over the query's algebra. Nesting (brackets and
# chained operators) and the number of algebra operators are bounded well below the depth
# at which they exhaust a worker's stack.
MAX_NESTING = 64
MAX_OPERATORS = 1000
_OPENERS = frozenset({"{", "(", "["})
_CLOSERS = frozenset({"}", ")", "]"})
_OPERATOR_KEYWORDS = frozenset(
    {"UNION", "OPTIONAL", "MINUS", "BIND", "FILTER", "GRAPH", "SERVICE", "SELECT", "VALUES"}
)
_CHAINED = frozenset({"binary_expression", "path_sequence", "path_alternative"})


class QueryRefused(ValueError):
    """A query udsyn will not run, with the reason in words."""


@dataclass(frozen=True)
class QueryInfo:
    """What the parse tells of a query, without running it."""

    form: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    where_group: int = -1  # character offset just inside the WHERE group's "{"; -1: none
    # the well-known prefixes (given to ``analyse``) that the query uses without declaring
    undeclared_prefixes: tuple[str, ...] = ()
    limit: int | None = None  # a SELECT's own LIMIT: no answer can have more rows

    def rows_within(self, max_rows: int | None) -> bool:
        """Whether the answer cannot have more than ``max_rows`` rows, by the query's own
        LIMIT (a row limit then need not be counted)."""
        return max_rows is None or (self.limit is not None and self.limit <= max_rows)

    @property
    def returns_graph(self) -> bool:
        """CONSTRUCT and DESCRIBE answer with triples; SELECT and ASK with solutions."""
        return self.form in ("CONSTRUCT", "DESCRIBE")


def analyse(
    text: str, base_iri: str | None = None, prefixes: Mapping[str, str] | None = None
) -> QueryInfo:
    """The form, datasets and WHERE group of one query; refuses anything udsyn will not run.

    Refused (:class:`QueryRefused`): text the grammar does not read completely, SPARQL
    Update, ``SERVICE``, more than one query, nesting deeper than :data:`MAX_NESTING` and
    more than :data:`MAX_OPERATORS` algebra operators. ``prefixes`` are the prefixes a query
    may use without declaring them. Each thread remembers its last analysis, since answering
    a request checks its query more than once. No more are kept: for queries that vary, a
    cache of analyses costs more than it saves (its entries keep the garbage collector busy),
    and the answers to repeated ones are kept whole (the answer cache).
    """
    last = getattr(_LOCAL, "last", None)
    if (
        last is not None
        and last[0] == text
        and last[1] == base_iri
        and (last[2] is prefixes or last[2] == prefixes)
    ):
        known = last[3]
    else:
        known = read_query(text, base_iri or "", dict(prefixes or {}))
        _LOCAL.last = (text, base_iri, prefixes, known)
    if isinstance(known, QueryRefused):
        raise QueryRefused(str(known))
    return known


def bind_values(text: str, info: QueryInfo, bindings: Mapping[str, Term]) -> str:
    """The query with its variables bound: a ``VALUES`` block first in its ``WHERE`` group.

    Placed there (found by the parse, not by searching the text), the values are in scope
    for every pattern and ``FILTER`` of the group. The values are RDF terms written by
    pyoxigraph, so a value can only ever be a term. (pyoxigraph's SEP-0007 substitutions
    would avoid the text, but accept only variables the query projects, and the questions'
    parameters, such as ``?lang``, are seldom projected.)
    """
    if not bindings:
        return text
    if info.where_group < 0:
        raise QueryRefused("the query has no WHERE group to bind parameters in")
    names = " ".join(f"?{name}" for name in bindings)
    row = " ".join(str(term) for term in bindings.values())
    at = info.where_group
    return f"{text[:at]}\n  VALUES ({names}) {{ ({row}) }}\n{text[at:]}"


# Where a variable names what is bound or projected, not a value: left as a variable.
_NAMING_PARENTS = frozenset(
    {"select_clause", "group_condition", "order_condition", "data_block", "inline_data"}
)


def bind_inline(text: str, info: QueryInfo, bindings: Mapping[str, Term]) -> str:
    """The query with its variables bound as :func:`bind_values` does, and also written as
    terms wherever the WHERE group uses them as values.

    For servers that do not carry a ``VALUES`` binding into ``OPTIONAL`` and ``FILTER``
    (Virtuoso). A variable that is assigned (``BIND ... AS``, a projection, ``VALUES``) or
    grouped and ordered by stays a variable. Every replacement is a term pyoxigraph wrote.
    """
    if not bindings:
        return text
    source = text.encode("utf-8")
    tree = _parser().parse(source)
    places: list[tuple[int, int, str]] = []
    for node in _variables(tree.root_node):
        name = _text(node, source)[1:]
        if name in bindings and not _names_a_variable(node):
            places.append((node.start_byte, node.end_byte, str(bindings[name])))
    written = bytearray(source)
    for start, end, term in sorted(places, reverse=True):
        written[start:end] = term.encode("utf-8")
    # Every replacement lies after the WHERE group's "{", so its offset still holds.
    return bind_values(written.decode("utf-8"), info, bindings)


def _variables(root: Node) -> list[Node]:
    """The variables inside the query's WHERE clause (its solution modifiers left out)."""
    found: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in ("group_clause", "order_clause", "having_clause"):
            continue
        if node.type == "var":
            found.append(node)
        stack.extend(node.children)
    return [node for node in found if _inside_where(node)]


def _inside_where(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in ("where_clause", "group_graph_pattern"):
            return True
        parent = parent.parent
    return False


def _names_a_variable(node: Node) -> bool:
    parent = node.parent
    if parent is None or parent.type in _NAMING_PARENTS:
        return True
    before = node.prev_sibling
    return parent.type == "bind" and before is not None and before.type.upper() == "AS"


# -- parsing -------------------------------------------------------------------------------


def parse_tree(text: str) -> Tree:
    """The grammar's parse of a text, query or update, for callers that read its nodes."""
    return _parser().parse(text.encode("utf-8"))


def _parser() -> Parser:
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:  # tree-sitter parsers and query cursors are not shared between threads
        parser = _LOCAL.parser = Parser(_LANGUAGE)
    return parser


def _service_patterns() -> QueryCursor:
    cursor = getattr(_LOCAL, "service", None)
    if cursor is None:
        cursor = _LOCAL.service = QueryCursor(_SERVICE_PATTERN)
    return cursor


def _namespace_patterns() -> QueryCursor:
    cursor = getattr(_LOCAL, "namespace", None)
    if cursor is None:
        cursor = _LOCAL.namespace = QueryCursor(_NAMESPACE_PATTERN)
    return cursor


def read_query(text: str, base: str, prefixes: dict[str, str]) -> QueryInfo | QueryRefused:
    """What :func:`analyse` finds, read afresh (uncached); a refusal is returned, not raised."""
    source = text.encode("utf-8")
    tree = _parser().parse(source)
    try:
        _check_complete(tree, source)
        return _read(tree.root_node, source, base, prefixes)
    except QueryRefused as refusal:
        return refusal


def _check_complete(tree: Tree, source: bytes) -> None:
    """Refuse a text the grammar had to recover from, naming where reading failed."""
    if not tree.root_node.has_error:
        return
    broken = _first_error(tree.root_node)
    before = source[: broken.start_byte]
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    if broken.is_missing:
        found = f"expected {broken.type!r}"
    else:
        snippet = source[broken.start_byte : broken.end_byte][:30].decode("utf-8", "replace")
        found = f"unexpected {snippet!r}" if snippet.strip() else "unexpected end of the query"
    raise QueryRefused(f"malformed query: error at {line}:{column}: {found}")


def _first_error(root: Node) -> Node:
    cursor = root.walk()
    while True:
        node = cursor.node
        if node is not None and (node.is_error or node.is_missing):
            return node
        if node is not None and node.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return root


def _read(root: Node, source: bytes, base: str, prefixes: dict[str, str]) -> QueryInfo:
    forms = []
    for child in root.named_children:
        if child.type in QUERY_FORMS:
            forms.append(child)
        elif child.type not in _PROLOGUE_KINDS:
            keyword = _text(child.children[0], source).upper() if child.children else child.type
            raise QueryRefused(f"{keyword} is SPARQL Update; this endpoint only answers queries")
    if not forms:
        raise QueryRefused("no query found: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    if len(forms) > 1:
        raise QueryRefused("one request holds one query; found more than one")
    declared: dict[str, str] = {}
    for declaration in _children(root, "prologue"):
        base, declared = _declare(declaration, source, base, declared)
    query = forms[0]
    _check_shape(query)
    used = _used_prefixes(root, source, prefixes.keys() | declared.keys())
    prefixes = {**prefixes, **declared}
    graphs: dict[str, list[str]] = {"default_graph_clause": [], "named_graph_clause": []}
    for clause in _children(query, "dataset_clause"):
        for target in clause.named_children:
            graphs[target.type].append(_graph_iri(target.named_children[-1], source, base,
                                                  prefixes))  # fmt: skip
    return QueryInfo(
        QUERY_FORMS[query.type],
        tuple(graphs["default_graph_clause"]),
        tuple(graphs["named_graph_clause"]),
        _where_group(query, source),
        tuple(sorted(used - declared.keys())),
        _limit(query, source) if query.type == "select_query" else None,
    )


def _check_shape(query: Node) -> None:
    """Refuse SERVICE (found by a tree-sitter query, in C), deep nesting and oversized algebra.

    Nesting and operators are counted in one walk over the parse, needed only when the query
    has more nodes than either limit allows; a cheap lookup has a few dozen.
    """
    if _service_patterns().captures(query):
        raise QueryRefused("SERVICE is not allowed: udsyn never sends queries to other servers")
    if query.descendant_count <= min(MAX_NESTING, MAX_OPERATORS):
        return
    cursor = query.walk()
    brackets = chained = deepest = operators = 0
    chain_stack: list[int] = []
    while True:
        node = cursor.node
        assert node is not None
        kind = node.type
        if node.child_count == 0:
            if kind in _OPENERS:
                brackets += 1
            elif kind in _CLOSERS:
                brackets -= 1
            elif kind in _OPERATOR_KEYWORDS:
                operators += 1
        elif kind in _CHAINED:
            operators += 1
        deepest = max(deepest, brackets + chained)
        if deepest > MAX_NESTING:
            raise QueryRefused(
                f"the query nests more than {MAX_NESTING} levels deep (brackets and chained "
                "operators); flatten it"
            )
        if operators > MAX_OPERATORS:
            raise QueryRefused(
                f"the query has more than {MAX_OPERATORS} operators (UNION, OPTIONAL, FILTER, "
                "BIND and the like); split it into smaller queries"
            )
        if node.child_count and cursor.goto_first_child():
            chain_stack.append(chained)
            chained += kind in _CHAINED
            continue
        while not cursor.goto_next_sibling():
            if not chain_stack:
                return
            cursor.goto_parent()
            chained = chain_stack.pop()


def _used_prefixes(root: Node, source: bytes, known: Set[str]) -> set[str]:
    """The prefixes the query's prefixed names use; refuses the first that is not ``known``
    (neither declared nor well known)."""
    used: set[str] = set()
    found = _namespace_patterns().captures(root).get("namespace", [])
    for node in sorted(found, key=lambda node: node.start_byte):
        start = node.start_byte
        # The grammar reads `a:x` as the keyword `a` and `:x`; the prefix is the whole name.
        while start > 0 and _is_name_byte(source[start - 1]):
            start -= 1
        prefix = source[start : node.end_byte - 1].decode("utf-8")
        if prefix in known:
            used.add(prefix)
            continue
        before = source[:start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise QueryRefused(
            f"unknown prefix `{prefix}:` at line {line}, column {column}; "
            f"declare it with PREFIX {prefix}: <…>"
        )
    return used


def _is_name_byte(byte: int) -> bool:
    """Whether a byte can belong to a prefix name (non-ASCII bytes are taken as letters)."""
    return byte >= 0x80 or chr(byte).isalnum() or chr(byte) in "_-."


def _declare(
    prologue: Node, source: bytes, base: str, prefixes: dict[str, str]
) -> tuple[str, dict[str, str]]:
    prefixes = dict(prefixes)
    for declaration in prologue.named_children:
        iri = _children(declaration, "iri_reference")
        if not iri:
            continue
        target = urljoin(base, _text(iri[0], source)[1:-1])
        if declaration.type == "base_declaration":
            base = target
        elif declaration.type == "prefix_declaration":
            namespace = _children(declaration, "namespace")
            name = _text(namespace[0], source).rstrip(":") if namespace else ""
            prefixes[name] = target
    return base, prefixes


def _graph_iri(node: Node, source: bytes, base: str, prefixes: dict[str, str]) -> str:
    written = _text(node, source)
    if node.type == "iri_reference":
        return urljoin(base, written[1:-1])
    prefix, _, local = written.partition(":")
    if prefix not in prefixes:
        raise QueryRefused(f"unknown prefix `{prefix}:` in FROM {written}")
    return prefixes[prefix] + _unescape_local(local)


def _unescape_local(local: str) -> str:
    """A prefixed name's local part with its backslash escapes (``\\#``, ``\\'``) undone."""
    out, escaped = [], False
    for character in local:
        if escaped or character != "\\":
            out.append(character)
            escaped = False
        else:
            escaped = True
    return "".join(out)


def _where_group(query: Node, source: bytes) -> int:
    """The character offset just after the ``{`` that opens the query's WHERE group."""
    where = _children(query, "where_clause")
    # CONSTRUCT WHERE { ... } has no where_clause: its "{" belongs to the query itself.
    groups = _children(where[0], "group_graph_pattern") if where else [query]
    for group in groups:
        for child in group.children:
            if child.type == "{":
                return len(source[: child.end_byte].decode("utf-8"))
    return -1


def _limit(query: Node, source: bytes) -> int | None:
    """The number after the query's own LIMIT (not a subquery's), if it has one."""
    for modifier in _children(query, "solution_modifier"):
        for clauses in _children(modifier, "limit_offset_clauses"):
            for clause in _children(clauses, "limit_clause"):
                for number in _children(clause, "integer"):
                    return int(_text(number, source))
    return None


def _children(node: Node, kind: str) -> list[Node]:
    return [child for child in node.children if child.type == kind]


def _text(node: Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8")


with warnings.catch_warnings():  # the binding hands over its grammar as a pointer
    warnings.simplefilter("ignore", DeprecationWarning)
    _LANGUAGE = Language(tree_sitter_sparql.language())
_SERVICE_PATTERN = Query(_LANGUAGE, "(service_graph_pattern) @service")
_NAMESPACE_PATTERN = Query(_LANGUAGE, "(prefixed_name (namespace) @namespace)")
_LOCAL = threading.local()
