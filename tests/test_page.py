"""The query page, end to end in headless Chromium against a real ``udsyn serve``.

Drives the page as a person would: pick a question, run it, open a resource, read the
source quotation, download CSV, make a mistake; and checks that the page never asks any
other origin for anything.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import RunningService

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("UDSYN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BASE = "https://w3id.org/udsyn/"
QUESTION = "partner-regions-by-country"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def same_origin(url: str, origin: str) -> bool:
    """Whether a request stays at the server; ``blob:`` and ``data:`` URLs never leave the page."""
    if url.startswith("blob:"):
        url = url[len("blob:") :]
    elif url.startswith(("data:", "about:")):
        return True
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" == origin


def test_query_page_end_to_end(service: RunningService, browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    origin = service.url
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    # The page loads, with the project's prefixes and a starter query in the editor.
    page.goto(f"{origin}/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    editor = page.locator("#query")
    starter = editor.input_value()
    assert "PREFIX uds: <https://w3id.org/udsyn/ontology#>" in starter
    assert "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>" in starter
    assert "SELECT" in starter

    # Pick a question from the library: its query, description and parameters appear.
    page.locator(f'#question-list button[data-question="{QUESTION}"]').click()
    expect(page.locator("#question-panel")).to_be_visible()
    expect(page.locator("#question-title")).to_have_text(
        "Partner regions by country, with their offices"
    )
    expect(page.locator("#param-party")).to_have_value("id/organisation/region-midtjylland")
    assert "uds:partnerRegion" in editor.input_value()
    expect(page.locator("#run-label")).to_have_text("Run question")

    # Run it: real partner regions from the strategy fill the table.
    page.locator("#question-form button[type=submit]").click()
    table = page.locator("#results table.result")
    expect(table).to_contain_text("Leningrad Oblast")
    expect(table).to_contain_text("Shanghai")
    expect(page.locator("#status")).to_contain_text(" rows in ")
    expect(page).to_have_url(
        f"{origin}/?question={QUESTION}&party=id%2Forganisation%2Fregion-midtjylland&lang=en"
    )

    # A row's source: the passage that states the facts linking the row's values.
    shanghai_row = table.locator("tbody tr", has_text="Shanghai").first
    shanghai_row.locator("button.source-button").click()
    dialog = page.locator("#sources-dialog")
    expect(dialog.locator("#sources-title")).to_have_text("Where this row comes from")
    passage = dialog.locator(".passage blockquote", has_text="Shanghai Byprovins, Kina")
    expect(passage).to_have_attribute("lang", "da")
    dialog.locator("#sources-close").click()
    expect(dialog).to_be_hidden()

    # Download the result as CSV: the header line, and a row with a partner region.
    with page.expect_download() as waiting:
        page.locator('#downloads [data-download="csv"]').click()
    csv_file = tmp_path / "result.csv"
    waiting.value.save_as(csv_file)
    lines = csv_file.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("country,countryLabel,region,regionLabel,agreement")
    assert any(f"{BASE}id/region/shanghai,Shanghai" in line for line in lines[1:])
    assert waiting.value.suggested_filename == f"{QUESTION}.csv"

    # Click a region's IRI: the page shows everything the graph says about it.
    page.locator(f'#results a[data-iri="{BASE}id/region/leningrad-oblast"]').first.click()
    expect(page.locator("#resource-head")).to_be_visible()
    expect(page.locator("#resource-label")).to_have_text("Leningrad Oblast")
    expect(page.locator("#resource-iri")).to_have_text(f"{BASE}id/region/leningrad-oblast")
    expect(table).to_contain_text("rdfs:label")
    expect(page.locator("#run-label")).to_have_text("Run query")
    assert "id/region/leningrad-oblast" in editor.input_value()
    page.screenshot(path=str(tmp_path / "resource.png"), full_page=True)

    # Show the sources: the Danish quotation of the passages the facts were taken from.
    page.locator("#resource-sources").click()
    expect(dialog).to_be_visible()
    quotation = dialog.locator(".passage blockquote", has_text="Leningrad Oblast, Rusland")
    expect(quotation).to_be_visible()
    expect(quotation).to_have_attribute("lang", "da")
    expect(quotation).to_contain_text("erhvervssamarbejde")
    expect(dialog.locator(".passage .where").first).to_contain_text("Line ")
    dialog.locator("#sources-close").click()
    expect(dialog).to_be_hidden()

    # One fact's own source, from the row's button.
    page.locator("#results button.source-button").first.click()
    expect(dialog).to_be_visible()
    expect(dialog.locator("#sources-title")).to_have_text("Where this fact comes from")
    expect(dialog.locator("#sources-body")).not_to_contain_text("Looking up")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Back returns to the question's result.
    page.locator("#back").click()
    expect(page.locator("#question-panel")).to_be_visible()
    expect(table).to_contain_text("Shanghai")
    expect(page.locator("#resource-head")).to_be_hidden()

    # A broken query: a readable error in the page, pointing at the place in the editor.
    editor.fill("SELECT ?x WHERE { ?x ?y }")
    expect(page.locator("#question-edited")).to_be_visible()
    editor.press("Control+Enter")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("HTTP 400")
    expect(error.locator("#error-message")).to_contain_text("error at")
    expect(page.locator("#results table.result")).to_have_count(0)

    # Everything the page asked for came from the server itself.
    assert requested, "the page made no requests at all"
    strangers = [url for url in requested if not same_origin(url, origin)]
    assert strangers == [], strangers
    assert problems == [], problems
    context.close()
    assert time.monotonic() - started < 30


def test_the_query_page_lists_the_prefixes_queries_need_not_declare(
    service: RunningService, browser
) -> None:
    from playwright.sync_api import expect

    from udsyn.namespaces import VOCABULARIES

    page = browser.new_page()
    page.goto(f"{service.url}/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.locator("details.prefixes summary").click()
    listed = page.locator("#prefix-list li").all_inner_texts()
    assert listed == [f"{name}: <{namespace}>" for name, namespace in VOCABULARIES.items()]
    page.close()


def test_the_api_page_works_offline(service: RunningService, browser) -> None:
    """/docs renders every operation from assets the service itself serves."""
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto(f"{service.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("udsyn")
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = set(operations.all_inner_texts())
    assert {"/sparql", "/questions", "/health", "/questions/focus-areas"} <= {
        path.replace("\u200b", "") for path in paths
    }
    # Try one operation: Swagger UI sends it to the service and shows the answer.
    health = page.locator("#operations-service-health_health_get")
    health.locator(".opblock-summary").click()
    health.locator("button.try-out__btn").click()
    health.locator("button.execute").click()
    expect(health.locator(".live-responses-table")).to_contain_text('"status": "ok"')
    strangers = [url for url in requested if not same_origin(url, service.url)]
    assert strangers == [], strangers
    assert problems == [], problems
    context.close()
