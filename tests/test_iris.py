"""IRIs for consumers: the shipped files give absolute IRIs to any parser, and udsyn moves the
data's IRIs under a configured base (docs/model.md, "IRIs for consumers")."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from udsyn.loading import PUBLISHED_IDS, Source, read_all, rebased, shipped_sources
from udsyn.shipped import data_files, shipped_dir
from udsyn.validation import load_shapes

from .conftest import BASE

OTHER = "https://example.org/kg/"
UDS = "https://w3id.org/udsyn/ontology"  # the ontology's IRI and, with '#', its namespace
UDSH = "https://w3id.org/udsyn/shapes#"
AT_BASE = f"@base <{BASE}> .\n"
SHAPE_FILES = [
    shipped_dir("shapes") / "udsyn-shapes.ttl",
    shipped_dir("shapes") / "registers" / "partnership-register.ttl",
]


def iris(quads: Iterable[ox.Quad]) -> set[str]:
    """Every IRI the quads name: subject, predicate, object and graph name."""
    return {
        term.value
        for quad in quads
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name)
        if isinstance(term, ox.NamedNode)
    }


def canonical(quads: Iterable[ox.Quad]) -> set[ox.Quad]:
    """The quads with their blank nodes named canonically, so two parses compare equal."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


# Both deprecations come from inside rdflib's own Dataset.parse and TriG parser.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
@pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated")
@pytest.mark.parametrize("path", data_files() + SHAPE_FILES, ids=lambda path: path.name)
def test_a_plain_rdflib_parse_gives_absolute_iris(path: Path) -> None:
    dataset = rdflib.Dataset()
    dataset.parse(path, format="trig" if path.suffix == ".trig" else "turtle")  # no publicID
    found = {
        str(term)
        for graph in dataset.graphs()
        for term in (graph.identifier, *(term for triple in graph for term in triple))
        if isinstance(term, rdflib.URIRef) and term != DATASET_DEFAULT_GRAPH_ID
    }
    assert not [iri for iri in found if iri.startswith("file:")]
    assert not [iri for iri in found if urlsplit(iri).scheme not in ("http", "https")]
    assert [iri for iri in found if iri.startswith(PUBLISHED_IDS)]
    assert path.read_text(encoding="utf-8").count(AT_BASE) == 1


def test_another_base_moves_every_data_iri_and_no_ontology_iri() -> None:
    published = iris(read_all(shipped_sources(), BASE))
    moved = iris(read_all(shipped_sources(), OTHER))
    ids = {iri for iri in published if iri.startswith(PUBLISHED_IDS)}
    ontology = {iri for iri in published if iri.startswith(UDS)}
    assert len(ids) > 300 and len(ontology) > 100
    assert not [iri for iri in moved if iri.startswith(PUBLISHED_IDS)]
    assert {iri for iri in moved if iri.startswith(OTHER)} == {
        OTHER + iri.removeprefix(BASE) for iri in ids
    }
    assert {iri for iri in moved if iri.startswith(UDS)} == ontology
    assert moved - {OTHER + iri.removeprefix(BASE) for iri in ids} == published - ids


def test_another_base_moves_the_data_iris_in_the_shapes_and_not_the_shapes() -> None:
    paths = tuple(SHAPE_FILES)
    published = {str(term) for term in load_shapes(BASE, paths).all_nodes()}
    moved = {str(term) for term in load_shapes(OTHER, paths).all_nodes()}
    schemes = {iri for iri in published if iri.startswith(PUBLISHED_IDS)}
    assert f"{BASE}id/scheme/focus-areas" in schemes
    assert {OTHER + iri.removeprefix(BASE) for iri in schemes} <= moved
    assert not [iri for iri in moved if iri.startswith(PUBLISHED_IDS)]
    shapes = {iri for iri in published if iri.startswith(UDSH)}
    assert shapes and shapes <= moved


@pytest.mark.parametrize("base", [BASE, OTHER])
def test_the_files_load_as_they_did_without_base(base: str, tmp_path: Path) -> None:
    """``@base`` plus the loader's move give exactly the quads of relative IRIs resolved
    against the configured base, as the files were read before they carried ``@base``."""
    sources = shipped_sources() + [Source(path) for path in SHAPE_FILES]
    relative = []
    for source in sources:
        copy = tmp_path / source.path.name
        copy.write_text(source.path.read_text(encoding="utf-8").replace(AT_BASE, ""), "utf-8")
        relative.append(Source(copy, source.graph))
    loaded = list(read_all(sources, base))
    before = list(read_all(relative, base))
    assert len(loaded) == len(before) > 5000
    assert canonical(loaded) == canonical(before)


def test_a_quoted_triple_and_a_graph_name_move_too() -> None:
    quad = ox.Quad(
        ox.NamedNode(f"{BASE}id/a"),
        ox.NamedNode(f"{UDS}#says"),
        ox.Triple(ox.NamedNode(f"{BASE}id/b"), ox.NamedNode(f"{UDS}#p"), ox.Literal("x")),
        ox.NamedNode(f"{BASE}id/graph/g"),
    )
    assert rebased(quad, OTHER) == ox.Quad(
        ox.NamedNode(f"{OTHER}id/a"),
        ox.NamedNode(f"{UDS}#says"),
        ox.Triple(ox.NamedNode(f"{OTHER}id/b"), ox.NamedNode(f"{UDS}#p"), ox.Literal("x")),
        ox.NamedNode(f"{OTHER}id/graph/g"),
    )
