"""``/shapes``: the SHACL shapes at their namespace, a page of what each checks, or RDF."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from udsyn.loading import collect_sources, read_all
from udsyn.shipped import shipped_dir
from udsyn.web import resources
from udsyn.web.pages import RDF_TYPE, SHAPES_IRI, Labels, Link, language, render

SH = "http://www.w3.org/ns/shacl#"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
TARGETS = tuple(SH + name for name in ("targetClass", "targetNode", "targetSubjectsOf",
                                       "targetObjectsOf"))  # fmt: skip

router = APIRouter(tags=["linked data"])


@dataclass(frozen=True)
class Shape:
    """One named shape as the page lists it."""

    name: str
    kind: str
    severity: str
    targets: tuple[Link, ...]
    path: Link | None
    comment: str
    message: str


@cache
def shape_quads(base: str) -> list[ox.Quad]:
    """Every shipped shapes file, its data IRIs under ``base``."""
    files = sorted(shipped_dir("shapes").rglob("*.ttl"))
    return list(read_all(collect_sources(files), base))


def listed(quads: list[ox.Quad], labels: Labels) -> list[Shape]:
    """The named shapes (``udsh:...``), by name, each with what it checks."""
    about: dict[str, dict[str, list[ox.Term]]] = {}
    for quad in quads:
        about.setdefault(quad.subject.value, {}).setdefault(quad.predicate.value, []).append(
            quad.object
        )
    shapes = []
    for iri, values in about.items():
        if not iri.startswith(SHAPES_IRI + "#"):
            continue
        kinds = [value.value.rpartition("#")[2] for value in values.get(RDF_TYPE, [])]
        if not {"NodeShape", "PropertyShape"} & set(kinds):
            continue
        paths = [v for v in values.get(SH + "path", []) if isinstance(v, ox.NamedNode)]
        shapes.append(Shape(
            name=iri.rpartition("#")[2],
            kind=", ".join(kinds),
            severity=first(values, SH + "severity").rpartition("#")[2],
            targets=tuple(labels.link(t.value) for p in TARGETS for t in values.get(p, [])
                          if isinstance(t, ox.NamedNode)),
            path=labels.link(paths[0].value) if paths else None,
            comment=first(values, RDFS_COMMENT),
            message=first(values, SH + "message") or " ".join(
                first(about.get(rule.value, {}), SH + "message")
                for rule in values.get(SH + "sparql", [])),
        ))  # fmt: skip
    return sorted(shapes, key=lambda shape: shape.name)


def first(values: dict[str, list[ox.Term]], predicate: str) -> str:
    """The text of the first value of ``predicate``, or nothing."""
    found = values.get(predicate)
    return found[0].value if found else ""


@resources.get_and_head(router, "/shapes{rest:path}", "The SHACL shapes: what each checks, or RDF")
async def shapes(request: Request, rest: str) -> Response:
    """The shapes at their namespace's address, in the negotiated format."""
    stem, suffix = resources.split_suffix(rest)
    chosen, negotiated = resources.representation(request, suffix)
    if stem:
        return resources.not_found(request, SHAPES_IRI + stem, chosen)
    base = request.app.state.settings.base_iri
    quads = shape_quads(base)
    if chosen is not resources.PAGE:
        body = resources.serialise(quads, chosen)
        return resources.data_response(body, chosen, "/shapes", negotiated)
    labels = Labels(resources.ontology_quads(), language(request), base)
    page = render(request, "shapes.html", shapes=listed(quads, labels))
    return resources.page_headers(page, "/shapes", negotiated)
