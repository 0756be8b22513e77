"""Every IRI answers: ``/id/...`` and ``/ontology`` by content negotiation.

A request path is read as an IRI under the configured base (``/id/region/brasov`` is
``{base}id/region/brasov``), so the same IRIs resolve on any host that serves them. Each
answers with ``200`` at the IRI itself and ``Vary: Accept`` (the Cool-URIs "hash or 200 with
content negotiation" pattern that Trifid and LodView follow): HTML for browsers, Turtle,
JSON-LD, RDF/XML, N-Triples or TriG (with each fact's source graph) for machines. A suffix
(``.ttl``, ``.jsonld``, ``.rdf``, ``.nt``, ``.trig``, ``.html``) or ``?format=`` chooses
instead of ``Accept``. An IRI the graph does not hold is a 404 with a search.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse
from pyoxigraph import RdfFormat
from starlette.exceptions import HTTPException as StarletteHTTPException

from udsyn.formats import (
    DATASET_FORMATS,
    GRAPH_FORMATS,
    Format,
    NotAcceptable,
    by_name,
    choose_format,
    negotiate,
)
from udsyn.namespaces import VOCABULARIES
from udsyn.shipped import ONTOLOGY_IRI, ontology_files
from udsyn.web import describe, tables
from udsyn.web.errors import answer_media_type
from udsyn.web.pages import (
    CONCEPT_SCHEME,
    RDF_TYPE,
    Labels,
    language,
    remember_language,
    render,
    resource_view,
)

if TYPE_CHECKING:
    import rdflib

router = APIRouter(tags=["linked data"])
T = TypeVar("T", bound=Callable[..., Any])

# A page is rendered, not serialised: its pyoxigraph format is never used.
PAGE = Format("html", "text/html", RdfFormat.TURTLE, ("application/xhtml+xml",), ".html")
TURTLE = by_name("turtle", GRAPH_FORMATS)
REPRESENTATIONS: tuple[Format, ...] = (PAGE, *GRAPH_FORMATS, by_name("trig", DATASET_FORMATS))
SUFFIXES = {choice.extension: choice for choice in REPRESENTATIONS}

# pyLODE's page carries its own styles inline and no script that runs.
ONTOLOGY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "frame-ancestors 'none'"
)

# pyLODE's light blue and grey text fall short of WCAG's contrast; darker shades that do not.
# Its page also gets a language and its content a main landmark.
CONTRAST = "<style>#pylode, #pylode span { color: #595959; } .sup-fp { color: #1565a0; }</style>"


def split_suffix(path: str) -> tuple[str, Format | None]:
    """``path`` without a format suffix, and the format the suffix names (if any)."""
    stem, dot, ending = path.rpartition(".")
    chosen = SUFFIXES.get(f".{ending}") if dot else None
    return (stem, chosen) if chosen else (path, None)


def representation(request: Request, suffix: Format | None) -> tuple[Format, bool]:
    """The format to answer in, and whether it was negotiated from ``Accept``."""
    if suffix is not None:
        return suffix, False
    named = request.query_params.get("format")
    if named:
        return choose_format(None, named, REPRESENTATIONS), False
    return choose_format(request.headers.get("accept"), None, REPRESENTATIONS), True


def serialise(quads: list[ox.Quad], chosen: Format) -> bytes:
    """The quads as ``chosen``: every graph kept in TriG, distinct triples otherwise."""
    native = chosen.native
    assert isinstance(native, RdfFormat)
    if native is RdfFormat.TRIG:
        return ox.serialize(quads, format=native, prefixes=VOCABULARIES)
    triples = list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads))
    prefixes = VOCABULARIES if native in (RdfFormat.TURTLE, RdfFormat.RDF_XML) else None
    return ox.serialize(triples, format=native, prefixes=prefixes)


def alternates(path: str) -> str:
    """A ``Link`` header naming each representation of the document at ``path``."""
    return ", ".join(f'<{path}{choice.extension}>; rel="alternate"; type="{choice.media_type}"'
                     for choice in REPRESENTATIONS)  # fmt: skip


def data_response(body: bytes, chosen: Format, path: str, negotiated: bool) -> Response:
    """An RDF document with the headers a linked-data client looks for."""
    headers = {"Link": alternates(path), "Content-Location": f"{path}{chosen.extension}"}
    if negotiated:
        headers["Vary"] = "Accept"
    return Response(body, media_type=answer_media_type(chosen), headers=headers)


def page_headers(response: Response, path: str, negotiated: bool) -> Response:
    """The linked-data headers added to a page."""
    response.headers["Link"] = alternates(path)
    response.headers["Content-Location"] = f"{path}.html"
    if not negotiated:
        response.headers["Vary"] = response.headers["Vary"].replace("Accept, ", "")
    return response


def not_found(request: Request, what: str, chosen: Format | None = None) -> Response:
    """A 404: a page with a search for a reader, one line for a program.

    Without a ``chosen`` format, ``Accept`` decides.
    """
    if chosen is None:
        try:
            chosen = negotiate(request.headers.get("accept"), REPRESENTATIONS)
        except NotAcceptable:
            chosen = TURTLE
    if chosen is PAGE:
        return render(request, "not-found.html", status=404, iri=what, query="")
    return Response(f"the graph holds nothing at {what}\n", status_code=404,
                    media_type="text/plain; charset=utf-8")  # fmt: skip


def get_and_head(router: APIRouter, path: str, summary: str) -> Callable[[T], T]:
    """Route GET and HEAD of ``path`` to the decorated function; only GET is documented
    (one operation per path and method keeps the OpenAPI operation ids unique)."""

    def register(endpoint: T) -> T:
        router.add_api_route(path, endpoint, methods=["GET"], response_class=Response,
                             summary=summary)  # fmt: skip
        router.add_api_route(path, endpoint, methods=["HEAD"], response_class=Response,
                             include_in_schema=False)  # fmt: skip
        return endpoint

    return register


@get_and_head(router, "/id/{path:path}", "A resource of the graph, as a page or as RDF")
async def resource(request: Request, path: str) -> Response:
    """What the graph says about the IRI ``{base}id/{path}``, in the negotiated format."""
    stem, suffix = split_suffix(path)
    iri = request.app.state.settings.base_iri + "id/" + stem
    chosen, negotiated = representation(request, suffix)
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return not_found(request, iri, chosen)
    quads = await describe.describe(request, node.value)
    if not quads:
        return not_found(request, iri, chosen)
    document = f"/id/{stem}"
    if chosen is not PAGE:
        return data_response(serialise(quads, chosen), chosen, document, negotiated)
    return page_headers(await resource_page(request, iri, quads), document, negotiated)


async def resource_page(request: Request, iri: str, quads: list[ox.Quad]) -> Response:
    """The page of a resource; a concept scheme's page lists its concepts too."""
    base = request.app.state.settings.base_iri
    lang = language(request)
    is_scheme = any(q.subject.value == iri and q.predicate.value == RDF_TYPE
                    and q.object.value == CONCEPT_SCHEME for q in quads)  # fmt: skip
    members = await describe.concepts(request, iri) if is_scheme else []
    view = resource_view(iri, quads, lang, base)
    return render(request, "resource.html", view=view, concepts=concept_rows(members, lang, base),
                  tables=await tables.tables(request, iri, quads, lang),
                  questions=questions_for(request, iri, base))  # fmt: skip


def concept_rows(quads: list[ox.Quad], lang: str, base: str) -> list[dict]:
    """A scheme's concepts: label, notation and definitions in both languages, by label."""
    labels = Labels(quads, lang, base)
    rows: dict[str, dict] = {}
    for quad in quads:
        row = rows.setdefault(
            quad.subject.value,
            {"link": labels.link(quad.subject.value), "notation": "", "definitions": {}},
        )
        name = quad.predicate.value.rpartition("#")[2]
        if name == "notation":
            row["notation"] = quad.object.value
        elif name == "definition" and isinstance(quad.object, ox.Literal):
            row["definitions"][quad.object.language or ""] = quad.object.value
    return sorted(rows.values(), key=lambda row: row["link"].label.lower())


def questions_for(request: Request, iri: str, base: str) -> list[dict]:
    """The named questions with an IRI parameter whose example is of the same kind as
    ``iri`` (``id/region/...``), each as a link to the query page with the IRI filled in."""
    relative = iri[len(base) :]
    kind = relative.rpartition("/")[0] + "/"
    found = []
    for question in request.app.state.questions:
        for parameter in question.parameters:
            if parameter.type == "iri" and (parameter.default or "").startswith(kind):
                found.append(
                    {
                        "title": question.title,
                        "href": query_link(question.name, parameter.name, relative),
                    }
                )
    return found


def query_link(question: str, parameter: str, value: str) -> str:
    """The query page with a question chosen and one parameter given."""
    return "/?" + urlencode({"question": question, parameter: value})


@cache
def ontology_quads() -> list[ox.Quad]:
    """The shipped ontology, in its own graph (its IRI)."""
    graph = ox.NamedNode(ONTOLOGY_IRI)
    return [
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for path in ontology_files()
        for t in ox.parse(path=path, format=RdfFormat.TURTLE)
    ]


@cache
def ontology_page(lang: str) -> str:
    """The ontology's documentation in ``lang``, made by pyLODE from the shipped file
    (offline): a text in the other language is left out where the term has one in ``lang``."""
    from pylode import OntPub

    made = OntPub(ontology=in_one_language(lang)).make_html()
    other, name = ("en", "English") if lang == "da" else ("da", "Dansk")
    nav = (
        f'<nav aria-label="udsyn" style="margin:.5rem 0 0 70px"><a href="/start">udsyn</a> · '
        f'<a href="/ontology?lang={other}" lang="{other}" hreflang="{other}">{name}</a></nav>'
    )
    for before, after in (
        ("<html>", f'<html lang="{lang}">'),
        ("</head>", CONTRAST + "</head>"),
        ("<body>", f"<body>{nav}<main>"),
        ("</body>", "</main></body>"),
    ):
        made = made.replace(before, after, 1)
    return anchored(made)


def anchored(made: str) -> str:
    """The page with an anchor for every term at its local name (``#validUntil``), where
    pyLODE named the term's section after its label: before the section that shows its IRI."""
    namespace = ONTOLOGY_IRI + "#"
    names = {q.subject.value[len(namespace) :] for q in ontology_quads()
             if q.subject.value.startswith(namespace)}  # fmt: skip
    for name in sorted(names):
        shown = made.find(f"<code>{namespace}{name}</code>")
        if f'id="{name}"' not in made and shown >= 0:
            section = made.rfind('<div class="', 0, shown)
            made = f'{made[:section]}<span id="{name}"></span>{made[section:]}'
    return made


def in_one_language(lang: str) -> rdflib.Graph:
    """The shipped ontology without the texts in other languages that ``lang`` replaces."""
    import rdflib

    graph = rdflib.Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    for subject, predicate, value in list(graph):
        tag = getattr(value, "language", None)
        if (
            tag
            and tag != lang
            and any(
                getattr(other, "language", None) == lang
                for other in graph.objects(subject, predicate)
            )
        ):
            graph.remove((subject, predicate, value))
    return graph


def version_iris() -> set[str]:
    """The ontology's version IRIs."""
    version = "http://www.w3.org/2002/07/owl#versionIRI"
    return {q.object.value for q in ontology_quads() if q.predicate.value == version}


@get_and_head(router, "/ontology{rest:path}", "The ontology: documentation or RDF")
async def ontology(request: Request, rest: str) -> Response:
    """The ontology at its IRI and at its version IRI, in the negotiated format."""
    stem, suffix = split_suffix(rest)
    iri = ONTOLOGY_IRI + stem
    chosen, negotiated = representation(request, suffix)
    if iri != ONTOLOGY_IRI and iri not in version_iris():
        return not_found(request, iri, chosen)
    document = "/ontology" + stem
    if chosen is not PAGE:
        return data_response(serialise(ontology_quads(), chosen), chosen, document, negotiated)
    page = HTMLResponse(
        await asyncio.to_thread(ontology_page, language(request)),
        headers={
            "Content-Security-Policy": ONTOLOGY_POLICY,
            "Vary": "Accept, Accept-Language, Cookie",
        },
    )
    remember_language(request, page)
    return page_headers(page, document, negotiated)


def install(app: FastAPI) -> None:
    """Serve the resources, and answer an unknown address with a page a reader can use."""
    app.include_router(router)

    @app.exception_handler(StarletteHTTPException)
    async def missing(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and error.detail == "Not Found":
            answer = not_found(request, str(request.url.path))
            if isinstance(answer, HTMLResponse):
                return answer
        return await http_exception_handler(request, error)
