"""Named questions: SPARQL files whose header comments give a title, a description and
typed parameters.

A question file looks like this::

    # title: Partners that support a focus area
    # description: Partner regions whose cooperation is to serve the focus area,
    #   with the agreement that says so.
    # param: area (iri) = id/focus-area/energy-and-environment ; the focus area
    # param: lang (language) = en ; language of the labels
    SELECT ... WHERE { ... }

Parameters are bound as RDF terms in a ``VALUES`` block that the SPARQL parse places first
in the ``WHERE`` group (:func:`udsyn.sparql.bind_values`); a value is never spliced into the
query as text.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from pyoxigraph import Literal, NamedNode

from udsyn.namespaces import VOCABULARIES
from udsyn.shipped import query_files
from udsyn.sparql import QueryRefused, analyse

XSD = "http://www.w3.org/2001/XMLSchema#"
_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>\w+)\)"
    r"(?:\s*=\s*(?P<default>[^;]*?))?\s*(?:;\s*(?P<doc>.*))?$"
)
# A well-formed BCP 47 language tag (RFC 5646, section 2.1), without the grandfathered tags.
_LANGUAGE_TAG = re.compile(
    r"""^(?:
      (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})     # language, with extended subtags
      (?:-[a-z]{4})?                                 # script
      (?:-(?:[a-z]{2}|[0-9]{3}))?                    # region
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*       # variants
      (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*           # extensions
      (?:-x(?:-[a-z0-9]{1,8})+)?                     # private use
    | x(?:-[a-z0-9]{1,8})+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

LANGUAGES_QUERY = """SELECT DISTINCT ?lang WHERE {
  ?s ?p ?o FILTER(isLiteral(?o) && lang(?o) != "") BIND(lang(?o) AS ?lang)
}"""
"""The language tags of the graph's text, for checking a language parameter."""


class QuestionError(ValueError):
    """A question file that cannot be read, or a question that does not exist."""


class ParameterError(ValueError):
    """A parameter value that does not fit its type; names the parameter."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(f"parameter {parameter!r}: {message}")


Term = NamedNode | Literal


def _iri(value: str, base_iri: str) -> Term:
    if any(character.isspace() or ord(character) < 32 for character in value):
        raise ValueError(f"{value!r} is not an IRI: IRIs hold no spaces or control characters")
    try:
        return NamedNode(urljoin(base_iri, value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IRI") from None


def _language(value: str, _base: str) -> Term:
    if not _LANGUAGE_TAG.match(value):
        raise ValueError(f"{value!r} is not a BCP 47 language tag such as 'da' or 'en-GB'")
    return Literal(value.lower())


def _integer(value: str, _base: str) -> Term:
    try:
        return Literal(str(int(value)), datatype=NamedNode(XSD + "integer"))
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


def _date(value: str, _base: str) -> Term:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return Literal(day.isoformat(), datatype=NamedNode(XSD + "date"))


def _boolean(value: str, _base: str) -> Term:
    if value.lower() not in ("true", "false"):
        raise ValueError(f"{value!r} is not true or false")
    return Literal(value.lower(), datatype=NamedNode(XSD + "boolean"))


def _string(value: str, _base: str) -> Term:
    return Literal(value)


PARAMETER_TYPES: dict[str, Callable[[str, str], Term]] = {
    "iri": _iri,
    "string": _string,
    "language": _language,
    "integer": _integer,
    "date": _date,
    "boolean": _boolean,
}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: str | None
    description: str

    @property
    def required(self) -> bool:
        return self.default is None

    def term(self, value: str, base_iri: str, languages: Collection[str] = ()) -> Term:
        """The RDF term for a value given as text; raises :class:`ParameterError`.

        A language must be one of ``languages`` (lower case) when any are given: the tags
        of the text the graph holds.
        """
        try:
            term = PARAMETER_TYPES[self.type](value.strip(), base_iri)
            if self.type == "language" and languages and term.value not in languages:
                raise ValueError(f"there is no text in {value.strip()!r}")
        except ValueError as error:
            held = ""
            if self.type == "language" and languages:
                held = f"; the graph holds text in {', '.join(sorted(languages))}"
            raise ParameterError(self.name, f"{error}{held}") from None
        return term


@dataclass(frozen=True)
class Question:
    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str
    form: str

    def bind(
        self, values: Mapping[str, str], base_iri: str, languages: Collection[str] = ()
    ) -> dict[str, Term]:
        """Every parameter's value as an RDF term: the given values, else the defaults.

        ``languages`` are the language tags the graph holds (lower case); when given, a
        language parameter must be one of them.
        """
        known = {parameter.name for parameter in self.parameters}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ParameterError(
                unknown[0], f"{self.name} has no such parameter; it takes {sorted(known) or 'none'}"
            )
        terms = {}
        for parameter in self.parameters:
            value = values.get(parameter.name, parameter.default)
            if value is None:
                raise ParameterError(parameter.name, "is required")
            terms[parameter.name] = parameter.term(value, base_iri, languages)
        return terms

    @property
    def takes_language(self) -> bool:
        """Whether a parameter is a language, to be checked against the graph's languages."""
        return any(parameter.type == "language" for parameter in self.parameters)

    def values_used(self, values: Mapping[str, str]) -> dict[str, str]:
        """Each parameter's value as given, else its default."""
        return {
            parameter.name: values.get(parameter.name, parameter.default or "")
            for parameter in self.parameters
        }


def read_question(path: Path) -> Question:
    """Parse one ``.rq`` file; its name is the file name without ``.rq``."""
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    parameters: list[Parameter] = []
    last = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = _HEADER.match(line)
        if match:
            last, value = match.groups()
            if last == "param":
                parameters.append(_parameter(path, number, value))
            else:
                fields[last] = value.strip()
        elif last in fields and line.startswith("#  "):
            fields[last] += " " + line[1:].strip()
    for required in ("title", "description"):
        if not fields.get(required):
            raise QuestionError(f"{path}: the header has no '# {required}:' line")
    try:
        form = analyse(text, prefixes=VOCABULARIES).form
    except QueryRefused as refusal:
        raise QuestionError(f"{path}: {refusal}") from None
    title, description = fields["title"], fields["description"]
    return Question(path.stem, title, description, tuple(parameters), text, form)


def _parameter(path: Path, number: int, spec: str) -> Parameter:
    match = _PARAM.match(spec.strip())
    if not match:
        raise QuestionError(
            f"{path}:{number}: cannot read parameter {spec!r}; "
            "expected 'name (type) = default ; description'"
        )
    kind = match["type"]
    if kind not in PARAMETER_TYPES:
        raise QuestionError(
            f"{path}:{number}: unknown parameter type {kind!r}; "
            f"use one of {sorted(PARAMETER_TYPES)}"
        )
    default = match["default"]
    return Parameter(match["name"], kind, default or None, (match["doc"] or "").strip())


class QuestionLibrary:
    """The named questions of a folder of ``.rq`` files."""

    def __init__(self, questions: Mapping[str, Question]) -> None:
        self._questions = dict(sorted(questions.items()))

    @classmethod
    def from_files(cls, paths: list[Path]) -> QuestionLibrary:
        return cls({path.stem: read_question(path) for path in paths})

    def __iter__(self) -> Iterator[Question]:
        return iter(self._questions.values())

    def __len__(self) -> int:
        return len(self._questions)

    def get(self, name: str) -> Question:
        """The question called ``name``; an unknown name is told the close ones."""
        try:
            return self._questions[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._questions, n=5, cutoff=0.4)
            close += [known for known in self._questions if name in known and known not in close]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise QuestionError(f"no question named {name!r}{hint}") from None


def shipped_questions() -> QuestionLibrary:
    """The questions that ship with udsyn, from its ``queries`` folder."""
    return QuestionLibrary.from_files(query_files())
