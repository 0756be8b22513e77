"""Every IRI answers: resource pages, RDF by content negotiation, the ontology, start page and
search, against a real ``udsyn serve``; the pages in headless Chromium with axe-core."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pyoxigraph as ox
import pytest

from .conftest import RunningService, start_service, stop_service

BASE = "https://w3id.org/udsyn/"
ONTOLOGY = "https://w3id.org/udsyn/ontology"
UDS = ONTOLOGY + "#"
BRASOV = BASE + "id/region/brasov"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
QUOTATION = ox.NamedNode(UDS + "quotation")

# Each format: the Accept header that asks for it, its suffix and its pyoxigraph parser.
FORMATS = {
    "turtle": ("text/turtle", ".ttl", ox.RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", ".jsonld", ox.RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", ".rdf", ox.RdfFormat.RDF_XML),
    "ntriples": ("application/n-triples", ".nt", ox.RdfFormat.N_TRIPLES),
    "trig": ("application/trig", ".trig", ox.RdfFormat.TRIG),
}
# A resource, a concept, a passage and an ontology term (whose document is the ontology).
SAMPLES = {
    "resource": (BRASOV, "/id/region/brasov"),
    "concept": (BASE + "id/concept/agreement-status/continued",
                "/id/concept/agreement-status/continued"),
    "passage": (BASE + "id/passage/international-strategy-2007/l090",
                "/id/passage/international-strategy-2007/l090"),
    "term": (UDS + "partnerRegion", "/ontology"),
}  # fmt: skip


@pytest.fixture(scope="module")
def client(service: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.url, timeout=30) as opened:
        yield opened


def parsed(response: httpx.Response, name: str) -> list[ox.Quad]:
    """The quads of an RDF answer in the format called ``name``."""
    return list(ox.parse(response.content, format=FORMATS[name][2]))


def path_of(iri: str) -> str:
    """The path at which the service answers for ``iri``."""
    if iri.startswith(ONTOLOGY):
        return "/ontology" + iri[len(ONTOLOGY) :].split("#")[0]
    return "/" + iri[len(BASE) :]


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("name", FORMATS)
def test_negotiation_suffix_and_format_parameter(client: httpx.Client, sample: str,
                                                 name: str) -> None:  # fmt: skip
    iri, path = SAMPLES[sample]
    media, suffix, _ = FORMATS[name]
    negotiated = client.get(path, headers={"Accept": f"{media}, text/html;q=0.5"})
    assert negotiated.status_code == 200, negotiated.text
    assert negotiated.headers["content-type"].startswith(media)
    assert "Accept" in negotiated.headers["vary"]
    assert negotiated.headers["content-location"] == path + suffix
    assert f'<{path}.ttl>; rel="alternate"; type="text/turtle"' in negotiated.headers["link"]
    subject = ox.NamedNode(iri)
    quads = parsed(negotiated, name)
    assert any(quad.subject == subject for quad in quads)
    for chosen in (client.get(path + suffix), client.get(path, params={"format": suffix[1:]})):
        assert chosen.status_code == 200
        assert chosen.headers["content-type"].startswith(media)
        assert {q.triple for q in parsed(chosen, name)} == {q.triple for q in quads}


def test_html_by_default_and_for_browsers(client: httpx.Client) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for headers in ({"Accept": browser}, {"Accept": "*/*"}, {}):
        page = client.get("/id/region/brasov", headers=headers)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Brașov County" in page.text
    assert "Accept" in client.get("/id/region/brasov").headers["vary"]
    suffixed = client.get("/id/region/brasov.html")
    assert suffixed.headers["content-type"].startswith("text/html")
    assert client.head("/id/region/brasov", headers={"Accept": "text/turtle"}).status_code == 200


def test_the_rdf_holds_statements_incoming_links_labels_and_sources(client: httpx.Client) -> None:
    answer = client.get("/id/region/brasov.trig")
    quads = parsed(answer, "trig")
    brasov = ox.NamedNode(BRASOV)
    own = {quad.predicate.value for quad in quads if quad.subject == brasov}
    assert {UDS + "locatedIn", UDS + "administrativeLevel", RDFS_LABEL.value} <= own
    # the agreement that names it as partner region points here
    agreement = ox.NamedNode(BASE + "id/agreement/midtjylland-brasov")
    assert (
        ox.Quad(
            agreement,
            ox.NamedNode(UDS + "partnerRegion"),
            brasov,
            ox.NamedNode(BASE + "id/passage/international-strategy-2007/l090"),
        )
        in quads
    )
    # labels of what it links to, in both languages
    romania = ox.NamedNode(BASE + "id/country/romania")
    assert {q.object.language for q in quads if q.subject == romania and
            q.predicate == RDFS_LABEL} == {"da", "en"}  # fmt: skip
    # each fact's graph is a passage whose quotation comes along
    located_in = ox.NamedNode(UDS + "locatedIn")
    located = next(q for q in quads if q.subject == brasov and q.predicate == located_in)
    quotation = [q.object.value for q in quads if q.subject == located.graph_name
                 and q.predicate == QUOTATION]  # fmt: skip
    assert quotation and "Brasov Amt, Rumænien" in quotation[0]


def test_a_passage_quotes_its_line_and_lists_its_facts(client: httpx.Client) -> None:
    path = SAMPLES["passage"][1]
    page = client.get(path, params={"lang": "en"}).text
    assert '<blockquote class="quotation" lang="da">Brasov Amt, Rumænien' in page
    stated = page[page.index('id="stated"') :]
    assert 'href="/id/agreement/midtjylland-brasov"' in stated
    graph = ox.NamedNode(SAMPLES["passage"][0])
    facts = [q for q in parsed(client.get(path + ".trig"), "trig") if q.graph_name == graph]
    assert ox.Triple(ox.NamedNode(BASE + "id/agreement/midtjylland-brasov"),
                     ox.NamedNode(UDS + "partnerRegion"), ox.NamedNode(BRASOV)) in {
        q.triple for q in facts}  # fmt: skip


def test_unknown_iris_and_bad_requests(client: httpx.Client) -> None:
    for path in ("/id/region/atlantis", "/id/", "/id/a%20b", "/id/%00", "/ontology/9.9.9",
                 "/no/such/thing"):  # fmt: skip
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 404, path
        assert '<form action="/search"' in page.text
        data = client.get(path, headers={"Accept": "text/turtle"})
        assert data.status_code == 404
    assert client.get("/id/region/atlantis.ttl").text.startswith("the graph holds nothing at")
    unknown = client.get("/id/region/brasov", params={"format": "pdf"})
    assert unknown.status_code == 400 and "turtle" in unknown.text
    assert client.get("/id/region/brasov", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/search", params={"q": "x" * 201}).status_code == 400
    # the JSON APIs keep their own 404s
    assert client.get("/nothing", headers={"Accept": "application/json"}).json() == {
        "detail": "Not Found"
    }


def every_iri(client: httpx.Client) -> set[str]:
    """Every IRI under the base or in the ontology the graph holds, as subject, object or
    graph name."""
    query = f"""SELECT DISTINCT ?i WHERE {{
      {{ GRAPH ?g {{ ?i ?p ?o }} }} UNION {{ GRAPH ?g {{ ?s ?p ?i }} }} UNION {{ GRAPH ?i {{ }} }}
      FILTER(isIRI(?i) && STRSTARTS(STR(?i), "{BASE}"))
    }}"""
    answer = client.get("/sparql", params={"query": query},
                        headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    return {row["i"]["value"] for row in answer.json()["results"]["bindings"]}


@pytest.mark.slow
def test_every_iri_under_the_base_dereferences(client: httpx.Client) -> None:
    iris = every_iri(client)
    assert len(iris) > 500
    paths = sorted({path_of(iri) for iri in iris})

    def terms(path: str) -> set[ox.Term]:
        answer = client.get(path, headers={"Accept": "application/n-triples"})
        assert answer.status_code == 200, path
        quads = parsed(answer, "ntriples")
        return {q.subject for q in quads} | {q.object for q in quads}

    with ThreadPoolExecutor(4) as threads:
        documents = dict(zip(paths, threads.map(terms, paths), strict=True))
    answered = {iri for iri in iris if ox.NamedNode(iri) in documents[path_of(iri)]}
    assert answered == iris
    print(f"{len(answered)} IRIs dereference, from {len(documents)} documents")


def test_the_ontology_at_its_iri(client: httpx.Client) -> None:
    page = client.get("/ontology", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "pyLODE" in page.text
    terms = ("RegionalAuthority", "partnerRegion", "Decision", "quotation", "validUntil",
             "referenceFrameItem", "statement")  # fmt: skip
    for term in terms:
        assert f'id="{term}"' in page.text, term
    danish = client.get("/ontology", params={"lang": "da"}, headers={"Accept": "text/html"})
    assert '<html lang="da">' in danish.text
    assert all(f'id="{term}"' in danish.text for term in terms)
    assert " src=" not in page.text and '<link rel="stylesheet"' not in page.text
    ontology = ox.NamedNode(ONTOLOGY)
    version = ox.NamedNode(ONTOLOGY + "/0.1.0")
    owl_version = ox.NamedNode("http://www.w3.org/2002/07/owl#versionIRI")
    for path in ("/ontology.ttl", "/ontology/0.1.0.rdf"):
        name = "turtle" if path.endswith("ttl") else "rdfxml"
        triples = {q.triple for q in parsed(client.get(path), name)}
        assert ox.Triple(ontology, owl_version, version) in triples
    assert client.get("/ontology/0.1.0", headers={"Accept": "text/html"}).status_code == 200


def test_the_shapes_at_their_namespace(client: httpx.Client) -> None:
    page = client.get("/shapes", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'id="LabelShape"' in page.text
    assert "The resource lacks a Danish or an English rdfs:label" in page.text
    assert 'id="AgreementPartiesRule"' in page.text and "names fewer than two parties" in page.text
    assert "Accept" in page.headers["vary"]
    node_shape = ox.NamedNode("http://www.w3.org/ns/shacl#NodeShape")
    triples = {q.triple for q in parsed(client.get("/shapes.ttl"), "turtle")}
    shapes = {t.subject for t in triples if t.object == node_shape}
    assert ox.NamedNode("https://w3id.org/udsyn/shapes#LabelShape") in shapes
    assert len(shapes) > 80
    assert client.get("/shapes/nothing", headers={"Accept": "text/turtle"}).status_code == 404


def test_search_over_labels_in_both_languages(client: httpx.Client) -> None:
    english = client.get("/search", params={"q": "brașov county"})
    assert english.status_code == 200 and 'href="/id/region/brasov"' in english.text
    danish = client.get("/search", params={"q": "Rumænien", "lang": "da"})
    assert 'href="/id/country/romania"' in danish.text
    assert 'lang="da"' in danish.text
    remembered = client.get("/search", params={"q": "zzzqqq"})
    assert "Intet har en betegnelse med den tekst." in remembered.text
    nothing = client.get("/search", params={"q": "zzzqqq", "lang": "en"})
    assert "Nothing has a label with that text." in nothing.text
    injected = client.get("/search", params={"q": '") } SELECT * { ?s ?p ?o } #'})
    assert injected.status_code == 200 and "Nothing has a label" in injected.text


def test_start_page_counts_and_ways_in(client: httpx.Client) -> None:
    page = client.get("/start")
    assert page.status_code == 200
    for place in (
        "/id/organisation/region-midtjylland",
        "/id/strategy/midtjylland-international-strategy",
        "/id/region/brasov",
        "/id/focus-area/food",
        "/id/scheme/agreement-statuses",
        "/id/document/international-strategy-2007",
        "/ontology#Decision",
    ):
        assert f'href="{place}"' in page.text, place
    assert "2007-01-10" in page.text
    danish = client.get("/start", params={"lang": "da"})
    assert "Partnerregioner" in danish.text and "udsyn-lang=da" in danish.headers["set-cookie"]


def test_the_strategys_own_lists_on_their_pages(client: httpx.Client) -> None:
    region = client.get("/id/organisation/region-midtjylland", params={"lang": "en"}).text
    assert "Partner regions by country, with their offices" in region
    table = region[region.index('class="answer"') :]
    table = table[: table.index("</table>")]
    for place in ("/id/region/shanghai", "/id/office/darob-center", "/id/region/leningrad-oblast"):
        assert f'href="{place}"' in table, place
    strategy = client.get("/id/strategy/midtjylland-international-strategy").text
    assert "Decisions in date order" in strategy
    dates = ["2006-03-29", "2006-11-15", "2007-01-10", "2007-08-22"]
    assert sorted(dates, key=strategy.index) == dates
    assert strategy.count("<td>2006-03-29</td>") == 1  # one row per decision, subjects listed


def test_scheme_page_lists_its_concepts_in_both_languages(client: httpx.Client) -> None:
    page = client.get("/id/scheme/agreement-statuses")
    assert "The cooperation has ended." in page.text
    assert "Samarbejdet er ophørt." in page.text
    assert 'href="/id/concept/agreement-status/continued"' in page.text


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """The service with the data's IRIs under another base."""
    running = start_service(tmp_path_factory.mktemp("moved") / "store",
                            UDSYN_BASE_IRI="https://example.org/kg/")  # fmt: skip
    yield running
    stop_service(running)


def test_another_base_answers_at_the_same_paths(moved: RunningService) -> None:
    with httpx.Client(base_url=moved.url, timeout=30) as client:
        data = client.get("/id/region/brasov.nt")
        subjects = {q.subject for q in parsed(data, "ntriples")}
        assert ox.NamedNode("https://example.org/kg/id/region/brasov") in subjects
        assert ox.NamedNode(BRASOV) not in subjects
        page = client.get("/id/region/brasov", params={"lang": "en"}).text
        assert 'href="/id/country/romania"' in page
        assert "<code>https://example.org/kg/id/region/brasov</code>" in page
        assert client.get("/ontology.ttl").status_code == 200


# -- in the browser --------------------------------------------------------------------------

CHROMIUM = os.environ.get("UDSYN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
PAGES = ("/id/region/brasov", "/id/organisation/region-midtjylland", "/start",
         "/search?q=region", "/id/scheme/agreement-statuses", "/id/region/atlantis",
         "/id/passage/international-strategy-2007/l090", "/ontology", "/shapes")  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def axe_source() -> str:
    """axe-core as shipped inside the axe-playwright-python wheel."""
    package = pytest.importorskip("axe_playwright_python")
    return (Path(package.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@pytest.mark.browser
def test_pages_in_the_browser(service: RunningService, browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{service.url}/id/region/brasov")
    expect(page.locator("h1")).to_have_text("Brașov County")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    quotation = page.locator("blockquote[lang=da]", has_text="Brasov Amt, Rumænien").first
    expect(quotation).to_be_visible()
    # the language switch, remembered on the next page
    page.get_by_role("link", name="Dansk").click()
    expect(page.locator("h1")).to_have_text("Brasov Amt")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    page.get_by_role("link", name="Rumænien").first.click()
    expect(page).to_have_url(f"{service.url}/id/country/romania")
    expect(page.locator("h1")).to_have_text("Rumænien")
    # the source link leads to the passage's own page
    page.goto(f"{service.url}/id/region/brasov")
    page.locator(".source a.where").first.click()
    expect(page.locator("h1")).to_contain_text("Linje")
    # a search from the header
    page.locator("#site-search").fill("Shanghai")
    page.locator("#site-search").press("Enter")
    expect(page.locator(".results")).to_contain_text("Shanghai")
    origin = service.url
    assert all(urlsplit(url).netloc == urlsplit(origin).netloc for url in requested), requested
    context.close()


@pytest.mark.slow
@pytest.mark.browser
def test_pages_pass_axe_core(service: RunningService, browser) -> None:
    source = axe_source()
    context = browser.new_context()
    page = context.new_page()
    findings: dict[str, list[str]] = {}
    for path in PAGES:
        for lang in ("en", "da"):
            page.goto(f"{service.url}{path}{'&' if '?' in path else '?'}lang={lang}")
            page.evaluate(source + "\n;0")
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            serious = [
                f"{v['id']} ({v['impact']}): {len(v['nodes'])} nodes"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if serious:
                findings[f"{path} [{lang}]"] = serious
    context.close()
    assert not findings, json.dumps(findings, indent=1)
