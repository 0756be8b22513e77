"""Pages for people: the view of a resource built from its quads, and the Jinja2 templates.

Links point at the serving host: an IRI under the configured base (or in the ontology's
namespace) becomes a path on this service, so the pages work on localhost as they do at
the published address.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from udsyn.namespaces import VOCABULARIES
from udsyn.shipped import ONTOLOGY_IRI

SHAPES_IRI = "https://w3id.org/udsyn/shapes"
LANGUAGES = ("en", "da")
LANGUAGE_COOKIE = "udsyn-lang"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
UDS = VOCABULARIES["uds"]
LABEL_PROPERTIES = (f"{SKOS}prefLabel", f"{RDFS}label")
DESCRIPTION_PROPERTIES = (f"{SKOS}definition", f"{UDS}statement", "http://purl.org/dc/terms/description",
                          f"{RDFS}comment", f"{SKOS}scopeNote")  # fmt: skip
QUOTATION = f"{UDS}quotation"
SOURCE_LINE = f"{UDS}sourceLine"
SECTION = f"{UDS}section"
CONCEPT_SCHEME = f"{SKOS}ConceptScheme"

# The sentences of the pages, in both languages.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "about": "Statements", "incoming": "Pointing here", "source": "Source",
        "line": "line", "reading": "reading", "ask": "Ask about this on the query page",
        "questions": "Questions about it", "formats": "As data", "search": "Search",
        "search_label": "Search the labels (Danish or English)", "results": "Results",
        "no_results": "Nothing has a label with that text.", "not_found": "Not in the graph",
        "not_found_text": "The graph holds nothing at this address. Search for it by name:",
        "start": "Start", "query": "Query page", "concepts": "Concepts",
        "counts": "What the graph holds",
        "entry": "Ways in", "home": "The region and its strategy", "decisions": "Decisions",
        "partners": "Partner regions",
        "focus": "Focus areas", "schemes": "Concept schemes", "documents": "Sources",
        "ontology": "The ontology", "class": "Class", "number": "Resources", "language": "Language",
        "notation": "Notation", "definition": "Definition", "label": "Label", "graph": "graph",
        "skip": "Skip to the content", "iri": "IRI", "shapes": "The SHACL shapes",
        "shapes_text": "What a well-formed record looks like: each shape, what it applies to, "
        "what it checks and how serious a finding is.",
        "shape": "Shape", "applies": "Applies to", "checks": "Checks", "severity": "Severity",
        "path": "property", "stated": "Facts stated here", "subject": "Subject",
        "property": "Property", "value": "Value",
    },
    "da": {
        "about": "Udsagn", "incoming": "Peger hertil", "source": "Kilde",
        "line": "linje", "reading": "tolkning", "ask": "Spørg om dette på forespørgselssiden",
        "questions": "Spørgsmål om det", "formats": "Som data", "search": "Søg",
        "search_label": "Søg i betegnelserne (dansk eller engelsk)", "results": "Resultater",
        "no_results": "Intet har en betegnelse med den tekst.", "not_found": "Ikke i grafen",
        "not_found_text": "Grafen har intet på denne adresse. Søg efter det ved navn:",
        "start": "Start", "query": "Forespørgselsside", "concepts": "Begreber",
        "counts": "Hvad grafen rummer", "entry": "Veje ind", "home": "Regionen og dens strategi",
        "decisions": "Beslutninger",
        "partners": "Partnerregioner", "focus": "Fokusområder", "schemes": "Begrebssystemer",
        "documents": "Kilder", "ontology": "Ontologien", "class": "Klasse", "number": "Ressourcer",
        "language": "Sprog", "notation": "Notation", "definition": "Definition",
        "label": "Betegnelse", "graph": "graf", "skip": "Spring til indholdet", "iri": "IRI",
        "shapes": "SHACL-formerne", "shapes_text": "Hvordan en velformet registrering ser ud: "
        "hver form, hvad den gælder, hvad den tjekker, og hvor alvorligt et fund er "
        "(beskrivelserne er på engelsk).",
        "shape": "Form", "applies": "Gælder", "checks": "Tjekker", "severity": "Alvor",
        "path": "egenskab", "stated": "Udsagn herfra", "subject": "Emne",
        "property": "Egenskab", "value": "Værdi",
    },
}  # fmt: skip

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)


def quotation(text: str) -> Markup:
    """A source line as read: its italics (``<i>``) kept, its table cells set apart."""
    escaped = str(escape(text.strip())).replace("\t", " · ")
    return Markup(escaped.replace("&lt;i&gt;", "<em>").replace("&lt;/i&gt;", "</em>"))


TEMPLATES.filters["quotation"] = quotation

# Pages load nothing from elsewhere and run no script.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def language(request: Request) -> str:
    """The reader's language: ``?lang=``, else the remembered one, else Accept-Language."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    accepted = request.headers.get("accept-language", "").lower()
    return "da" if accepted.startswith("da") else "en"


def href(iri: str, base: str) -> str:
    """Where a reader follows ``iri`` on this service; other IRIs stay as they are."""
    if iri.startswith(ONTOLOGY_IRI):
        return "/ontology" + iri[len(ONTOLOGY_IRI) :]
    if iri.startswith(SHAPES_IRI):
        return "/shapes" + iri[len(SHAPES_IRI) :]
    if iri.startswith(base):
        return "/" + iri[len(base) :]
    return iri


def compact(iri: str, base: str) -> str:
    """A readable name for an IRI without a label: a prefixed name or a base-relative path."""
    for prefix, namespace in VOCABULARIES.items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri[len(base) :] if iri.startswith(base) else iri


@dataclass(frozen=True)
class Link:
    """A resource as a reader sees it: where to follow it, its label and its language."""

    href: str
    label: str
    lang: str
    iri: str


@dataclass(frozen=True)
class Source:
    """Where a fact is stated: a passage with its quotation, or another graph."""

    link: Link
    quotation: str = ""
    line: str = ""
    section: str = ""


@dataclass(frozen=True)
class Fact:
    """One value of a property, with the sources that state it."""

    link: Link | None
    text: str
    lang: str
    sources: tuple[Source, ...]


@dataclass
class Group:
    """The facts of one property."""

    property: Link
    facts: list[Fact] = field(default_factory=list)


class Labels:
    """Labels of resources in the reader's language, falling back to the other one."""

    def __init__(self, quads: Iterable[ox.Quad], lang: str, base: str) -> None:
        self.lang = lang
        self.base = base
        self._labels: dict[str, dict[str, str]] = defaultdict(dict)
        for quad in quads:
            if quad.predicate.value in LABEL_PROPERTIES and isinstance(quad.object, ox.Literal):
                known = self._labels[quad.subject.value]
                tag = quad.object.language or ""
                if tag not in known or quad.predicate.value == LABEL_PROPERTIES[0]:
                    known[tag] = quad.object.value

    def link(self, iri: str) -> Link:
        """The resource at ``iri`` with its label in the reader's language, or another."""
        known = self._labels.get(iri, {})
        for tag in (self.lang, *LANGUAGES, ""):
            if tag in known:
                return Link(href(iri, self.base), known[tag], tag, iri)
        if known:
            tag, label = next(iter(known.items()))
            return Link(href(iri, self.base), label, tag, iri)
        return Link(href(iri, self.base), compact(iri, self.base), "", iri)


@dataclass
class ResourceView:
    """Everything a resource page shows."""

    subject: Link
    types: list[Link]
    description: str
    description_lang: str
    quotation: str
    outgoing: list[Group]
    incoming: list[Group]
    stated: list[tuple[Link, Link, Fact]]


def in_language(values: list[ox.Literal], lang: str) -> list[ox.Literal]:
    """Of language-tagged values, those in ``lang`` (else the other language's); others all."""
    tagged = [value for value in values if value.language]
    if not tagged:
        return values
    for tag in (lang, *LANGUAGES):
        chosen = [value for value in tagged if value.language == tag]
        if chosen:
            return chosen + [value for value in values if not value.language]
    return values


class Sources:
    """The source of each fact: the graph that states it, read as a passage where it is one."""

    def __init__(self, quads: Iterable[ox.Quad], labels: Labels) -> None:
        self.labels = labels
        self._about: dict[str, dict[str, str]] = defaultdict(dict)
        for quad in quads:
            if quad.predicate.value in (QUOTATION, SOURCE_LINE, SECTION):
                self._about[quad.subject.value][quad.predicate.value] = quad.object.value

    def of(self, graphs: Iterable[str]) -> tuple[Source, ...]:
        """The sources of a fact stated in ``graphs``; passages first, by line."""
        found = []
        for graph in sorted(set(graphs)):
            about = self._about.get(graph, {})
            found.append(Source(self.labels.link(graph), about.get(QUOTATION, ""),
                                about.get(SOURCE_LINE, ""), about.get(SECTION, "")))  # fmt: skip
        return tuple(sorted(found, key=lambda source: (not source.quotation, source.link.iri)))


def resource_view(iri: str, quads: list[ox.Quad], lang: str, base: str) -> ResourceView:
    """The page of ``iri`` from the quads :func:`describe.describe` found."""
    labels = Labels(quads, lang, base)
    sources = Sources(quads, labels)
    own = [quad for quad in quads if quad.subject.value == iri]
    types = sorted({labels.link(q.object.value) for q in own if q.predicate.value == RDF_TYPE},
                   key=lambda link: link.label)  # fmt: skip
    described = in_language([q.object for q in own if q.predicate.value in DESCRIPTION_PROPERTIES
                             and isinstance(q.object, ox.Literal)], lang)  # fmt: skip
    shown = [q for q in own if q.predicate.value not in (RDF_TYPE, QUOTATION, *LABEL_PROPERTIES)]
    quoted = [q.object.value for q in own if q.predicate.value == QUOTATION]
    incoming = [q for q in quads if q.object == ox.NamedNode(iri) and q.subject.value != iri]
    return ResourceView(
        subject=labels.link(iri),
        types=types,
        description=described[0].value if described else "",
        description_lang=(described[0].language or "") if described else "",
        quotation=quoted[0] if quoted else "",
        outgoing=groups(shown, labels, sources, lambda quad: quad.object),
        incoming=groups(incoming, labels, sources, lambda quad: quad.subject),
        stated=stated_in(iri, quads, labels),
    )


def stated_in(graph: str, quads: list[ox.Quad], labels: Labels) -> list[tuple[Link, Link, Fact]]:
    """The facts of the graph ``graph`` names (a passage's or a reading's), in label order."""
    name = ox.NamedNode(graph)
    rows = {
        (
            labels.link(q.subject.value),
            labels.link(q.predicate.value),
            fact(q.object, [], labels, Sources((), labels)),
        )
        for q in quads
        if q.graph_name == name and isinstance(q.subject, ox.NamedNode)
    }
    return sorted(
        rows,
        key=lambda row: (
            row[0].label.lower(),
            row[1].label.lower(),
            (row[2].link.label if row[2].link else row[2].text),
        ),
    )


def groups(quads: list[ox.Quad], labels: Labels, sources: Sources, other) -> list[Group]:
    """Facts grouped by property (sorted by its label), each value once with its sources."""
    by_property: dict[str, dict[ox.Term, list[str]]] = defaultdict(lambda: defaultdict(list))
    for quad in quads:
        by_property[quad.predicate.value][other(quad)].append(quad.graph_name.value)
    result = []
    for prop, values in by_property.items():
        literals = in_language([v for v in values if isinstance(v, ox.Literal)], labels.lang)
        kept = [v for v in values if not isinstance(v, ox.Literal)] + literals
        group = Group(labels.link(prop))
        for value in kept:
            group.facts.append(fact(value, values[value], labels, sources))
        group.facts.sort(key=lambda item: (item.link.label if item.link else item.text).lower())
        result.append(group)
    return sorted(result, key=lambda group: group.property.label.lower())


def fact(value: ox.Term, graphs: list[str], labels: Labels, sources: Sources) -> Fact:
    """One value as shown: a link for an IRI, the text and language of a literal."""
    stated = sources.of(graphs)
    if isinstance(value, ox.NamedNode):
        return Fact(labels.link(value.value), "", "", stated)
    if isinstance(value, ox.Literal):
        return Fact(None, value.value, value.language or "", stated)
    return Fact(None, str(value), "", stated)


def render(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    """A page in the reader's language; a language chosen by ``?lang=`` is remembered."""
    lang = language(request)
    other = next(tag for tag in LANGUAGES if tag != lang)
    switch = request.url.path + "?" + urlencode({**request.query_params, "lang": other})
    body = TEMPLATES.get_template(template).render(
        lang=lang, words=WORDS[lang], other=other, switch=switch, **context
    )
    response = HTMLResponse(body, status_code=status)
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    remember_language(request, response)
    return response


def remember_language(request: Request, response: Response) -> None:
    """A language chosen by ``?lang=`` is kept in a cookie for the next pages."""
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, samesite="lax")
