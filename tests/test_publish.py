"""``udsyn publish``, the catalogue it writes, the DCAT-AP shapes, and the served catalogue.

The release is made by the command as a publisher runs it, from a real store holding the
shipped graph; the catalogue is checked with pySHACL against the official DCAT-AP shapes in
``../shared/reference/dcat-ap``; the served catalogue is asked over HTTP in-process.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import gzip
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from fastapi import FastAPI
from rdflib import DCTERMS, FOAF, RDF, SKOS, Graph, Literal, URIRef

from tests.conftest import BASE, OxigraphServer, RunningService, start_service, stop_service
from tests.support import accept_register, one_error_line, udsyn
from udsyn.config import Settings
from udsyn.publish.checking import PROFILES, ShapesMissing, check_catalogue, reference_folder
from udsyn.publish.release import build_release
from udsyn.publish.settings import PublishSettings
from udsyn.registers.layout import column_names
from udsyn.store import EmbeddedStore
from udsyn.web import catalog
from udsyn.web.errors import install_error_handlers

# rdflib's JSON-LD parser, which CKAN's harvester uses too, warns about its own internals.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")

DATE = "2026-12-01"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
AUTHORITY = "http://publications.europa.eu/resource/authority/"
DOWNLOADS = "https://data.example.org/udsyn/"
UDS = "https://w3id.org/udsyn/ontology#"

RDF_FILES = {
    "udsyn.nq": ox.RdfFormat.N_QUADS,
    "udsyn.trig": ox.RdfFormat.TRIG,
    "udsyn.ttl": ox.RdfFormat.TURTLE,
    "udsyn.nt": ox.RdfFormat.N_TRIPLES,
    "udsyn.jsonld": ox.RdfFormat.JSON_LD,
    "udsyn.rdf": ox.RdfFormat.RDF_XML,
    "udsyn-ontology.ttl": ox.RdfFormat.TURTLE,
    "udsyn-concept-schemes.ttl": ox.RdfFormat.TURTLE,
    "udsyn-shapes.ttl": ox.RdfFormat.TURTLE,
    "catalog.ttl": ox.RdfFormat.TURTLE,
    "catalog.rdf": ox.RdfFormat.RDF_XML,
    "catalog.jsonld": ox.RdfFormat.JSON_LD,
    "catalog-dcat-ap-2.1.1.ttl": ox.RdfFormat.TURTLE,
    "void.ttl": ox.RdfFormat.TURTLE,
}
DUMPS = ("udsyn.nq", "udsyn.trig", "udsyn.ttl", "udsyn.nt", "udsyn.jsonld", "udsyn.rdf")
FILE_TYPES = {
    ".nq": "RDF_N_QUADS", ".trig": "RDF_TRIG", ".ttl": "RDF_TURTLE", ".nt": "RDF_N_TRIPLES",
    ".jsonld": "JSON_LD", ".rdf": "RDF_XML", ".csv": "CSV",
}  # fmt: skip

# A partnership record, as the register checks accept it, for the store to take in.
RECORD = f"""
@prefix uds: <{UDS}> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{BASE}id/graph/records> {{
  <{BASE}id/agreement/rm-2008-001> a uds:PartnershipRecord ;
      dct:identifier "RM-2008-001" ;
      uds:party <{BASE}id/region/leningrad-oblast> ;
      uds:partnerCountry <{BASE}id/country/russia> ;
      uds:status <{BASE}id/concept/agreement-status/active> ;
      uds:startDate "2008-01-01"^^xsd:date .
}}
"""


def shapes_folder() -> Path:
    try:
        return reference_folder()
    except ShapesMissing as missing:
        pytest.skip(f"the official DCAT-AP shapes are not here: {missing}")


# -- the release, made by the command -------------------------------------------------------


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("publish") / "store"
    loaded = udsyn("--store", str(path), "load", "--shipped")
    assert loaded.returncode == 0, loaded.stderr
    return path


@pytest.fixture(scope="module")
def releases(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two releases of the same store with the same date and publisher settings."""
    folders = []
    for run in ("first", "second"):
        folder = tmp_path_factory.mktemp(run) / "release"
        done = udsyn("--store", str(store_path), "publish", str(folder), "--date", DATE,
                     UDSYN_PUBLISH_DOWNLOAD_BASE=DOWNLOADS)  # fmt: skip
        assert done.returncode == 0, done.stderr
        folders.append(folder)
    return folders[0], folders[1]


@pytest.fixture(scope="module")
def release(releases: tuple[Path, Path]) -> Path:
    return releases[0]


@pytest.fixture(scope="module")
def store(store_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(BASE, str(store_path), read_only=True)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def catalogue(release: Path) -> Graph:
    return Graph().parse(release / "catalog.ttl", format="turtle")


@pytest.fixture(scope="module")
def catalogue_2_1_1(release: Path) -> Graph:
    return Graph().parse(release / "catalog-dcat-ap-2.1.1.ttl", format="turtle")


def test_the_release_holds_every_file(release: Path) -> None:
    names = {path.name for path in release.iterdir()}
    expected = {*RDF_FILES, *(f"{dump}.gz" for dump in DUMPS), "partner-register.csv",
                "README.md"}  # fmt: skip
    assert names == expected


def test_two_runs_give_byte_identical_files(releases: tuple[Path, Path]) -> None:
    first, second = releases
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


@pytest.mark.parametrize("name", sorted(RDF_FILES))
def test_each_file_parses_without_a_base(release: Path, name: str) -> None:
    """Parsed with no base IRI, a relative IRI would be an error: every IRI is absolute."""
    quads = list(ox.parse(path=release / name, format=RDF_FILES[name]))
    assert quads
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode):
                assert term.value.split(":", 1)[0] in ("http", "https", "mailto"), term


@pytest.mark.parametrize("name", DUMPS)
def test_gzipped_dumps_hold_the_same_bytes(release: Path, name: str) -> None:
    assert gzip.decompress((release / f"{name}.gz").read_bytes()) == (release / name).read_bytes()


def _named(terms: Iterator[ox.Quad] | list[ox.Quad]) -> set[ox.Quad]:
    """The quads without blank nodes (files name blank nodes as they like)."""
    return {quad for quad in terms
            if not isinstance(quad.subject, ox.BlankNode)
            and not isinstance(quad.object, ox.BlankNode)}  # fmt: skip


@pytest.mark.parametrize("name", ["udsyn.nq", "udsyn.trig"])
def test_dumps_with_graphs_hold_exactly_the_store(
    release: Path, store: EmbeddedStore, name: str
) -> None:
    held = list(store.quads())
    dumped = list(ox.parse(path=release / name, format=RDF_FILES[name]))
    assert len(dumped) == len(held)
    assert _named(dumped) == _named(held)


@pytest.mark.parametrize("name", ["udsyn.ttl", "udsyn.nt", "udsyn.jsonld", "udsyn.rdf"])
def test_merged_dumps_hold_exactly_the_union(
    release: Path, store: EmbeddedStore, name: str
) -> None:
    dumped = {quad.triple for quad in ox.parse(path=release / name, format=RDF_FILES[name])}
    assert len(dumped) == store.triple_count()
    named = {quad.triple for quad in _named(list(store.quads()))}
    assert {t for t in dumped if not _blank(t)} == named


def _blank(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def test_model_files_are_the_stored_ontology_and_schemes(
    release: Path, store: EmbeddedStore
) -> None:
    ontology = ox.NamedNode("https://w3id.org/udsyn/ontology")
    stored = [q for q in store.quads() if q.graph_name == ontology]
    written = list(ox.parse(path=release / "udsyn-ontology.ttl", format=ox.RdfFormat.TURTLE))
    assert len(written) == len(stored)
    shapes = Graph().parse(release / "udsyn-shapes.ttl", format="turtle")
    assert (None, RDF.type, URIRef("http://www.w3.org/ns/shacl#NodeShape")) in shapes


def test_the_partner_register_has_the_register_layout(release: Path, store: EmbeddedStore) -> None:
    rows = list(csv.DictReader(io.StringIO((release / "partner-register.csv").read_text("utf-8"))))
    assert tuple(rows[0]) == column_names()
    agreements = store.select(
        "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a uds:CooperationAgreement }"
    )
    assert len(rows) == int(next(iter(agreements))["n"].value)
    leningrad = next(row for row in rows if row["id"].endswith("/midtjylland-leningrad-oblast"))
    assert leningrad["partner"] == "Leningrad Oblast"
    assert leningrad["partner_country"] == "RU"
    assert leningrad["kind"] == "cooperation agreement"
    assert leningrad["decision_date"] == "2007-01-10"


def _distributions(graph: Graph) -> list[URIRef]:
    return sorted(graph.subjects(RDF.type, DCAT.Distribution))


def test_checksums_and_sizes_match_the_files(
    release: Path, catalogue: Graph, catalogue_2_1_1: Graph
) -> None:
    distributions = _distributions(catalogue)
    assert len(distributions) == len(DUMPS) * 2 + 4  # dumps, gzipped, model files, register
    for graph, algorithm, digest in (
        (catalogue, SPDX.checksumAlgorithm_sha256, hashlib.sha256),
        (catalogue_2_1_1, SPDX.checksumAlgorithm_sha1, hashlib.sha1),
    ):
        for distribution in _distributions(graph):
            url = str(graph.value(distribution, DCAT.downloadURL))
            assert url.startswith(DOWNLOADS)
            assert graph.value(distribution, DCAT.accessURL) == URIRef(url)
            content = (release / url.removeprefix(DOWNLOADS)).read_bytes()
            assert int(graph.value(distribution, DCAT.byteSize)) == len(content)
            checksum = graph.value(distribution, SPDX.checksum)
            assert graph.value(checksum, SPDX.algorithm) == algorithm
            assert str(graph.value(checksum, SPDX.checksumValue)) == digest(content).hexdigest()


def test_distributions_name_their_media_and_file_types(catalogue: Graph) -> None:
    for distribution in _distributions(catalogue):
        name = str(catalogue.value(distribution, DCAT.downloadURL)).rsplit("/", 1)[1]
        inner = name.removesuffix(".gz")
        suffix = "." + inner.rsplit(".", 1)[1]
        file_type = URIRef(f"{AUTHORITY}file-type/{FILE_TYPES[suffix]}")
        assert catalogue.value(distribution, DCTERMS.format) == file_type, name
        assert (file_type, SKOS.inScheme, URIRef(f"{AUTHORITY}file-type")) in catalogue
        media = str(catalogue.value(distribution, DCAT.mediaType))
        assert media.startswith("http://www.iana.org/assignments/media-types/"), name
        compressed = catalogue.value(distribution, DCAT.compressFormat)
        gzip_type = URIRef("http://www.iana.org/assignments/media-types/application/gzip")
        assert compressed == (gzip_type if name.endswith(".gz") else None), name


def test_the_catalogue_uses_the_eu_authority_concepts(catalogue: Graph, store_path: Path) -> None:
    (catalog,) = catalogue.subjects(RDF.type, DCAT.Catalog)
    (dataset,) = catalogue.objects(catalog, DCAT.dataset)
    licence = URIRef(f"{AUTHORITY}licence/CC_BY_4_0")
    for subject in (catalog, dataset):
        assert catalogue.value(subject, DCTERMS.license) == licence
        assert set(catalogue.objects(subject, DCTERMS.language)) == {
            URIRef(f"{AUTHORITY}language/DAN"),
            URIRef(f"{AUTHORITY}language/ENG"),
        }
        assert set(catalogue.objects(subject, DCTERMS.spatial)) == {
            URIRef(f"{AUTHORITY}country/DNK"),
            URIRef("http://data.europa.eu/nuts/code/DK04"),
        }
    assert set(catalogue.objects(dataset, DCAT.theme)) == {
        URIRef(f"{AUTHORITY}data-theme/GOVE"),
        URIRef(f"{AUTHORITY}data-theme/INTR"),
    }
    assert catalogue.value(dataset, DCTERMS.accrualPeriodicity) == URIRef(
        f"{AUTHORITY}frequency/IRREG"
    )
    assert (licence, SKOS.inScheme, URIRef(f"{AUTHORITY}licence")) in catalogue
    publisher = catalogue.value(catalog, DCTERMS.publisher)
    assert publisher == URIRef(f"{BASE}id/organisation/region-midtjylland")
    assert (publisher, FOAF.name, Literal("Region Midtjylland", lang="da")) in catalogue
    assert catalogue.value(publisher, DCTERMS.type) == URIRef(
        "http://purl.org/adms/publishertype/RegionalAuthority"
    )
    assert catalogue.value(dataset, DCTERMS.issued) == Literal(DATE, datatype=rdflib.XSD.date)
    for text in (DCTERMS.title, DCTERMS.description):
        assert {value.language for value in catalogue.objects(dataset, text)} == {"da", "en"}
    assert catalogue.value(dataset, DCAT.contactPoint) is not None
    for value in catalogue.objects(None, DCTERMS.modified):  # ISO 8601, as portals want
        assert datetime.date.fromisoformat(str(value)).isoformat() == DATE


def test_the_nuts_code_is_the_one_the_data_gives(store: EmbeddedStore, catalogue: Graph) -> None:
    codes = store.select(
        "SELECT ?code WHERE { <id/region/midtjylland> skos:notation ?code "
        "FILTER(datatype(?code) = uds:NUTS-2021) }"
    )
    (code,) = [row["code"].value for row in codes]
    nuts = URIRef(f"http://data.europa.eu/nuts/code/{code}")
    assert (nuts, SKOS.notation, Literal(code)) in catalogue


def test_temporal_coverage_spans_the_strategys_dates(
    store: EmbeddedStore, catalogue: Graph
) -> None:
    (dataset,) = catalogue.subjects(RDF.type, DCAT.Dataset)
    period = catalogue.value(dataset, DCTERMS.temporal)
    earliest = store.select(
        "SELECT (MIN(?d) AS ?first) WHERE { ?s ?p ?d "
        "FILTER(datatype(?d) = xsd:date && STRSTARTS(STR(?p), STR(uds:))) }"
    )
    assert str(catalogue.value(period, DCAT.startDate)) == next(iter(earliest))["first"].value


def test_the_sparql_endpoint_is_a_data_service(catalogue: Graph) -> None:
    (service,) = catalogue.subjects(RDF.type, DCAT.DataService)
    endpoint = catalogue.value(service, DCAT.endpointURL)
    assert str(endpoint).endswith("/sparql")
    assert catalogue.value(service, DCAT.endpointDescription) == endpoint
    standard = catalogue.value(service, DCTERMS.conformsTo)
    assert (standard, RDF.type, DCTERMS.Standard) in catalogue
    assert set(catalogue.objects(service, DCAT.servesDataset)) == set(
        catalogue.subjects(RDF.type, DCAT.Dataset)
    )


def test_void_counts_what_the_store_holds(release: Path, store: EmbeddedStore) -> None:
    void = Graph().parse(release / "void.ttl", format="turtle")
    (dataset,) = (s for s in void.subjects(RDF.type, VOID.Dataset) if void.value(s, VOID.triples)
                  and (s, VOID.subset, None) in void)  # fmt: skip
    assert int(void.value(dataset, VOID.triples)) == store.triple_count()
    assert len(list(void.objects(dataset, VOID.subset))) == len(store.graph_names())
    classes = store.select("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }")
    assert int(void.value(dataset, VOID.classes)) == int(next(iter(classes))["n"].value)
    assert void.value(dataset, VOID.sparqlEndpoint) is not None
    assert {str(d).rsplit("/", 1)[1] for d in void.objects(dataset, VOID.dataDump)} == set(DUMPS)
    for subset in void.objects(dataset, VOID.subset):
        graph = void.value(subset, URIRef("http://www.w3.org/ns/sparql-service-description#name"))
        in_graph = sum(1 for quad in store.quads() if quad.graph_name == ox.NamedNode(str(graph)))
        assert int(void.value(subset, VOID.triples)) == in_graph


# -- the catalogue against the official shapes ----------------------------------------------


@pytest.fixture(scope="module")
def results(catalogue: Graph, catalogue_2_1_1: Graph) -> dict:
    folder = shapes_folder()
    return {r.profile: r for r in check_catalogue(catalogue, catalogue_2_1_1, folder=folder)}


@pytest.mark.parametrize("profile", [profile.name for profile in PROFILES])
def test_the_catalogue_conforms_to_each_profile(results: dict, profile: str) -> None:
    result = results[profile]
    violations = [f for f in result.findings if f.severity == "Violation"]
    assert violations == []
    assert result.conforms


def _without_access_url(graph: Graph) -> tuple[Graph, URIRef]:
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    first = _distributions(graph)[0]
    broken.remove((first, DCAT.accessURL, None))
    return broken, first


def test_a_distribution_without_access_url_fails_every_dcat_ap_profile(
    catalogue: Graph, catalogue_2_1_1: Graph
) -> None:
    broken, distribution = _without_access_url(catalogue)
    broken_2_1_1, _ = _without_access_url(catalogue_2_1_1)
    dcat_ap = [profile for profile in PROFILES if profile.name.startswith("DCAT-AP ")]
    checked = check_catalogue(broken, broken_2_1_1, dcat_ap, folder=shapes_folder())
    assert len(checked) == 3
    for result in checked:
        assert not result.conforms, result.profile
        missing = [f for f in result.findings if f.focus == str(distribution)
                   and f.path == "dcat:accessURL" and f.severity == "Violation"]  # fmt: skip
        assert missing, result.profile


def test_the_danish_additions_catch_what_dcat_ap_allows(catalogue_2_1_1: Graph) -> None:
    broken = Graph()
    for triple in catalogue_2_1_1:
        broken.add(triple)
    (catalog,) = broken.subjects(RDF.type, DCAT.Catalog)
    (dataset,) = broken.objects(catalog, DCAT.dataset)
    broken.remove((catalog, DCAT.dataset, None))
    for title in list(broken.objects(dataset, DCTERMS.title)):
        if title.language == "da":
            broken.remove((dataset, DCTERMS.title, title))
    (danish,) = [p for p in PROFILES if p.name.startswith("DCAT-AP-DK")]
    (result,) = check_catalogue(broken, broken, [danish], folder=shapes_folder())
    paths = {(f.focus, f.path) for f in result.findings if f.severity == "Violation"}
    assert (str(catalog), "dcat:dataset") in paths
    assert (str(dataset), "dct:title") in paths


# -- the command as a publisher meets it ----------------------------------------------------


def test_publish_check_reports_each_profile(store_path: Path, tmp_path: Path) -> None:
    shapes_folder()
    done = udsyn("--store", str(store_path), "publish", str(tmp_path / "out"), "--date", DATE,
                 "--check")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    for profile in PROFILES:
        assert f"{profile.name}: conforms (0 violations" in done.stdout


def test_publish_check_without_the_shapes_is_one_line(store_path: Path, tmp_path: Path) -> None:
    done = udsyn("--store", str(store_path), "publish", str(tmp_path / "out"), "--check",
                 UDSYN_DCAT_AP_SHAPES=str(tmp_path / "nowhere"))  # fmt: skip
    assert done.returncode == 2
    assert "UDSYN_DCAT_AP_SHAPES" in one_error_line(done)


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--date", "2026-13-01"], "--date takes a date as YYYY-MM-DD"),
        (["--date", "yesterday"], "not 'yesterday'"),
    ],
)
def test_bad_input_is_one_line(
    store_path: Path, tmp_path: Path, arguments: list[str], said: str
) -> None:
    done = udsyn("--store", str(store_path), "publish", str(tmp_path / "out"), *arguments)
    assert done.returncode == 2
    assert said in one_error_line(done)


def test_a_file_for_a_folder_is_one_line(store_path: Path, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    done = udsyn("--store", str(store_path), "publish", str(tmp_path / "taken"))
    assert done.returncode == 2
    assert "is a file" in one_error_line(done)


def test_an_empty_or_missing_store_is_one_line(tmp_path: Path) -> None:
    missing = udsyn("--store", str(tmp_path / "none"), "publish", str(tmp_path / "out"))
    assert missing.returncode == 2
    assert "no store at" in one_error_line(missing)
    empty = udsyn("--store", ":memory:", "publish", str(tmp_path / "out"))
    assert empty.returncode == 2
    assert "holds nothing to publish" in one_error_line(empty)


def test_publisher_details_come_from_the_config_file_and_environment(
    store_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "udsyn.toml").write_text(
        '[udsyn]\n[publish]\npublisher_name_en = "Central Denmark Region, Regional Development"'
        '\ncontact_email = "international@example.org"\n'
    )
    done = udsyn("--store", str(store_path), "publish", "out", "--date", DATE, cwd=tmp_path,
                 UDSYN_PUBLISH_DOWNLOAD_BASE="https://files.example.org/udsyn")  # fmt: skip
    assert done.returncode == 0, done.stderr
    graph = Graph().parse(tmp_path / "out" / "catalog.ttl", format="turtle")
    publisher = URIRef(f"{BASE}id/organisation/region-midtjylland")
    name = Literal("Central Denmark Region, Regional Development", lang="en")
    assert (publisher, FOAF.name, name) in graph
    vcard_email = URIRef("http://www.w3.org/2006/vcard/ns#hasEmail")
    assert (None, vcard_email, URIRef("mailto:international@example.org")) in graph
    urls = {str(url) for url in graph.objects(None, DCAT.downloadURL)}
    assert urls and all(url.startswith("https://files.example.org/udsyn/") for url in urls)


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("UDSYN_PUBLISH_DOWNLOAD_BASE", "files/", "must be an absolute http(s) address"),
        ("UDSYN_PUBLISH_LICENCE", "CC BY 4.0", "must be an absolute http(s) address"),
        ("UDSYN_PUBLISH_CONTACT_EMAIL", "the office", "no e-mail address"),
        ("UDSYN_PUBLISH_CATALOG_PAGE_SIZE", "many", "is not a valid int"),
    ],
)
def test_a_publish_setting_that_cannot_be_used_is_one_line(
    store_path: Path, tmp_path: Path, variable: str, value: str, said: str
) -> None:
    done = udsyn("--store", str(store_path), "publish", str(tmp_path / "out"), **{variable: value})
    assert done.returncode == 2
    assert said in one_error_line(done)


def test_an_unknown_publish_setting_is_one_line(store_path: Path, tmp_path: Path) -> None:
    (tmp_path / "udsyn.toml").write_text('[udsyn]\n[publish]\npublisher_nam = "x"\n')
    done = udsyn("--store", str(store_path), "publish", "out", cwd=tmp_path)
    assert done.returncode == 2
    line = one_error_line(done)
    assert "unknown setting 'publisher_nam' in [publish]" in line
    assert "did you mean 'publisher_name_" in line


# -- served: /catalog, /download/, /.well-known/void ---------------------------------------


def serving(store_path: Path, page_size: int = 100) -> FastAPI:
    """The catalogue router in an app of its own, over the store at ``store_path``."""
    settings = Settings(store_path=str(store_path))
    app = FastAPI()
    app.state.settings = settings
    app.state.releases = catalog.Releases(
        settings, PublishSettings(catalog_page_size=page_size, refresh_seconds=0.001)
    )
    install_error_handlers(app)
    app.include_router(catalog.router)
    return app


class InProcess:
    """Requests to an app in-process over httpx's ASGI transport, from synchronous tests."""

    def __init__(self, app: FastAPI, base_url: str) -> None:
        self._loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app)
        self._client = httpx.AsyncClient(transport=transport, base_url=base_url)

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    def get(self, url: str, **options: object) -> httpx.Response:
        return self._loop.run_until_complete(self._client.get(url, **options))

    def head(self, url: str, **options: object) -> httpx.Response:
        return self._loop.run_until_complete(self._client.head(url, **options))


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[InProcess]:
    with InProcess(serving(store_path), base_url="http://udsyn.test") as opened:
        yield opened


RDFLIB_FORMATS = {"text/turtle": "turtle", "application/rdf+xml": "xml",
                  "application/ld+json": "json-ld"}  # fmt: skip


def parse_answer(answer: httpx.Response) -> Graph:
    """The answer parsed by its Content-Type, as CKAN's harvester picks its parser."""
    media_type = answer.headers["content-type"].split(";")[0]
    return Graph().parse(data=answer.content, format=RDFLIB_FORMATS[media_type])


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "text/turtle"),
        ("text/turtle", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/ld+json;q=0.5, application/rdf+xml", "application/rdf+xml"),
        ("*/*", "text/turtle"),
    ],
)
def test_catalog_negotiates(client: InProcess, accept: str | None, media_type: str) -> None:
    answer = client.get("/catalog", headers={"accept": accept} if accept else {})
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    assert answer.headers["vary"] == "Accept"
    assert (None, RDF.type, DCAT.Catalog) in parse_answer(answer)


def test_catalog_refuses_what_it_cannot_write(client: InProcess) -> None:
    answer = client.get("/catalog", headers={"accept": "image/png"})
    assert answer.status_code == 406
    assert "text/turtle" in answer.text


@pytest.mark.parametrize(
    ("path", "media_type"),
    [("/catalog.ttl", "text/turtle"), ("/catalog.rdf", "application/rdf+xml"),
     ("/catalog.jsonld", "application/ld+json")],
)  # fmt: skip
def test_catalog_by_extension(client: InProcess, path: str, media_type: str) -> None:
    answer = client.get(path, headers={"accept": "text/html"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    graph = parse_answer(answer)
    assert len(list(graph.subjects(RDF.type, DCAT.Distribution))) == len(DUMPS) * 2 + 4


def test_a_page_beyond_the_last_is_404(client: InProcess) -> None:
    answer = client.get("/catalog?page=2")
    assert answer.status_code == 404
    assert (client.get("/catalog.csv")).status_code == 404


def test_downloads_carry_validators_and_lengths(client: InProcess, store: EmbeddedStore) -> None:
    answer = client.get("/download/udsyn.nq")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/n-quads")
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert answer.headers["etag"] == f'"{hashlib.sha256(answer.content).hexdigest()}"'
    assert answer.headers["accept-ranges"] == "bytes"
    assert answer.headers["last-modified"].endswith("GMT")
    assert len(list(ox.parse(answer.content, format=ox.RdfFormat.N_QUADS))) == len(
        list(store.quads())
    )
    packed = client.get("/download/udsyn.ttl.gz")
    assert packed.headers["content-type"] == "application/gzip"
    assert gzip.decompress(packed.content) == (client.get("/download/udsyn.ttl")).content


def test_downloads_honour_ranges(client: InProcess) -> None:
    whole = (client.get("/download/udsyn.ttl")).content
    first = client.get("/download/udsyn.ttl", headers={"range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.content == whole[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{len(whole)}"
    assert first.headers["content-length"] == "100"
    tail = client.get("/download/udsyn.ttl", headers={"range": "bytes=-20"})
    assert tail.status_code == 206 and tail.content == whole[-20:]
    rest = client.get("/download/udsyn.ttl", headers={"range": f"bytes={len(whole) - 5}-"})
    assert rest.content == whole[-5:]
    beyond = client.get("/download/udsyn.ttl", headers={"range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(whole)}"
    ignored = client.get("/download/udsyn.ttl", headers={"range": "lines=1-2"})
    assert ignored.status_code == 200 and ignored.content == whole


def test_downloads_honour_etags(client: InProcess) -> None:
    first = client.get("/download/udsyn.trig")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get("/download/udsyn.trig", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    since = client.get("/download/udsyn.trig", headers={"if-modified-since": modified})
    assert since.status_code == 304
    other = client.get("/download/udsyn.trig", headers={"if-none-match": '"other"'})
    assert other.status_code == 200 and other.content == first.content
    stale = client.get("/download/udsyn.trig",
                             headers={"range": "bytes=0-9", "if-range": '"other"'})  # fmt: skip
    assert stale.status_code == 200 and stale.content == first.content
    current = client.get("/download/udsyn.trig",
                               headers={"range": "bytes=0-9", "if-range": etag})  # fmt: skip
    assert current.status_code == 206 and current.content == first.content[:10]


def test_head_gives_the_headers_alone(client: InProcess) -> None:
    whole = client.get("/download/udsyn.nt")
    head = client.head("/download/udsyn.nt")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(whole.content))
    assert head.headers["etag"] == whole.headers["etag"]


def test_an_unknown_download_is_404(client: InProcess) -> None:
    answer = client.get("/download/secrets.txt")
    assert answer.status_code == 404
    assert "/catalog" in answer.text


def test_void_is_served_at_the_well_known_address(client: InProcess) -> None:
    answer = client.get("/.well-known/void")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=answer.content, format="turtle")
    assert (None, VOID.sparqlEndpoint, None) in graph


# -- a harvest, and the store changing under it ---------------------------------------------


@pytest.fixture(scope="module")
def store_with_records(tmp_path_factory: pytest.TempPathFactory, store_path: Path) -> Path:
    """A store with the shipped graph and a partnership record: two datasets."""
    path = tmp_path_factory.mktemp("records") / "store"
    records = tmp_path_factory.mktemp("records-file") / "records.trig"
    records.write_text(RECORD)
    loaded = udsyn("--store", str(path), "load", "--shipped", str(records))
    assert loaded.returncode == 0, loaded.stderr
    return path


def harvest(app: FastAPI, accept: str) -> tuple[list[Graph], set, set]:
    """What CKAN's DCAT harvester does: fetch /catalog, parse by Content-Type, follow
    hydra:next. Returns the pages, and the datasets and distributions found."""
    pages: list[Graph] = []
    datasets: set = set()
    distributions: set = set()
    with InProcess(app, base_url="http://127.0.0.1:8000") as client:
        url: str | None = "/catalog"
        while url:
            answer = client.get(url, headers={"accept": accept})
            assert answer.status_code == 200, answer.text
            assert len(answer.content) < 50 * 1024 * 1024
            page = parse_answer(answer)
            pages.append(page)
            datasets |= set(page.subjects(RDF.type, DCAT.Dataset))
            distributions |= set(page.subjects(RDF.type, DCAT.Distribution))
            views = list(page.subjects(RDF.type, HYDRA.PartialCollectionView))
            following = [page.value(view, HYDRA.next) for view in views]
            url = str(following[0]) if following and following[0] else None
            assert len(pages) < 10
    return pages, datasets, distributions


@pytest.mark.parametrize("accept", ["text/turtle", "application/rdf+xml", "application/ld+json"])
def test_a_harvest_follows_the_pages_and_finds_everything(
    store_with_records: Path, accept: str
) -> None:
    app = serving(store_with_records, page_size=1)
    pages, datasets, distributions = harvest(app, accept)
    assert len(pages) == 2
    with EmbeddedStore(BASE, str(store_with_records), read_only=True) as store:
        publisher = PublishSettings().resolved(Settings())
        whole = build_release(store, "http://127.0.0.1:8000/", publisher, datetime.date.today())
    expected = Graph().parse(data=whole.files["catalog.ttl"], format="turtle")
    assert datasets == set(expected.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 2
    assert distributions == set(expected.subjects(RDF.type, DCAT.Distribution))
    for page in pages:  # each page complete in itself: catalogue, publisher, data service
        (catalog_node,) = page.subjects(RDF.type, DCAT.Catalog)
        publisher = page.value(catalog_node, DCTERMS.publisher)
        assert page.value(publisher, FOAF.name) is not None
        assert (None, RDF.type, DCAT.DataService) in page


def test_each_page_conforms_to_dcat_ap_3(store_with_records: Path) -> None:
    folder = shapes_folder()
    app = serving(store_with_records, page_size=1)
    pages, _, _ = harvest(app, "text/turtle")
    (profile,) = [p for p in PROFILES if p.name == "DCAT-AP 3.0.1"]
    for page in pages:
        (result,) = check_catalogue(page, page, [profile], folder=folder)
        assert result.conforms, result.findings


def test_the_catalogue_follows_the_store(tmp_path: Path) -> None:
    path = tmp_path / "store"
    assert udsyn("--store", str(path), "load", "--shipped").returncode == 0
    with InProcess(serving(path), base_url="http://udsyn.test") as client:
        before = parse_answer(client.get("/catalog"))
        dump = client.get("/download/udsyn.nq")
        assert len(list(before.subjects(RDF.type, DCAT.Dataset))) == 1
        records = tmp_path / "records.trig"
        records.write_text(RECORD)
        assert udsyn("--store", str(path), "load", str(records)).returncode == 0
        after = parse_answer(client.get("/catalog"))
        assert len(list(after.subjects(RDF.type, DCAT.Dataset))) == 2
        changed = client.get("/download/udsyn.nq")
        assert changed.headers["etag"] != dump.headers["etag"]
        assert b"RM-2008-001" in changed.content
        record_file = client.get("/download/partnership-records.ttl")
        assert record_file.status_code == 200 and b"RM-2008-001" in record_file.content


def test_the_service_app_serves_the_catalogue_through_its_writer(tmp_path: Path) -> None:
    """The router inside the service's own app, which reads the store through its writer."""
    from udsyn.web.app import create_app

    path = tmp_path / "store"
    assert udsyn("--store", str(path), "load", "--shipped").returncode == 0
    app = create_app(Settings(store_path=str(path)))
    with InProcess(app, base_url="http://udsyn.test") as client:
        answer = client.get("/catalog", headers={"accept": "application/rdf+xml"})
        assert answer.status_code == 200, answer.text
        assert (None, RDF.type, DCAT.Catalog) in parse_answer(answer)
        assert client.get("/download/udsyn.ttl").status_code == 200


def test_the_running_service_serves_the_catalogue(service: RunningService) -> None:
    """``udsyn serve`` answers /catalog, /download/ and VoID."""
    with httpx.Client(base_url=service.url, timeout=30) as client:
        answer = client.get("/catalog")
        assert answer.status_code == 200
        graph = parse_answer(answer)
        assert len(list(graph.subjects(RDF.type, DCAT.Catalog))) == 1
        url = str(next(graph.objects(None, DCAT.downloadURL)))
        assert url.startswith(service.url + "/download/")
        download = client.get(url, headers={"range": "bytes=0-9"})
        assert download.status_code == 206 and len(download.content) == 10
        assert client.get("/.well-known/void").status_code == 200


def test_a_remote_store_gives_the_same_release(
    oxigraph_server: OxigraphServer, release: Path, tmp_path: Path
) -> None:
    """Published from a SPARQL server holding the same graph: the same quads and table."""
    oxigraph_server.clear()
    remote = ["--endpoint", f"{oxigraph_server.url}/query",
              "--update-endpoint", f"{oxigraph_server.url}/update"]  # fmt: skip
    assert udsyn(*remote, "load", "--shipped").returncode == 0
    done = udsyn(*remote, "publish", str(tmp_path / "out"), "--date", DATE,
                 UDSYN_PUBLISH_DOWNLOAD_BASE=DOWNLOADS)  # fmt: skip
    assert done.returncode == 0, done.stderr
    oxigraph_server.clear()
    for name in ("udsyn.nq", "udsyn.ttl"):
        served = list(ox.parse(path=tmp_path / "out" / name, format=RDF_FILES[name]))
        local = list(ox.parse(path=release / name, format=RDF_FILES[name]))
        assert len(served) == len(local)
        assert _named(served) == _named(local)
    for name in ("partner-register.csv", "udsyn-concept-schemes.ttl"):
        assert (tmp_path / "out" / name).read_bytes() == (release / name).read_bytes()


def test_the_served_catalogue_shows_accepted_records_at_once(tmp_path: Path) -> None:
    """The service's writer tells the catalogue when it has written: no waiting for a look."""
    service = start_service(tmp_path / "store", UDSYN_WRITE_TOKEN="t0k")
    try:
        with httpx.Client(base_url=service.url, timeout=120) as client:
            before = parse_answer(client.get("/catalog"))
            assert len(list(before.subjects(RDF.type, DCAT.Dataset))) == 1
            accepted = accept_register(service.url, "t0k")
            assert accepted.status_code == 201, accepted.text
            after = parse_answer(client.get("/catalog"))
            assert len(list(after.subjects(RDF.type, DCAT.Dataset))) == 2
            assert b"RM-2008-001" in client.get("/download/udsyn.nq").content
    finally:
        stop_service(service)
