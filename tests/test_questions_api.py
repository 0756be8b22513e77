"""``/questions``: named questions as web addresses, on a running service."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from udsyn.questions import shipped_questions

from .conftest import RunningService

QUESTIONS = list(shipped_questions())
WITH_IRI = next(q for q in QUESTIONS if any(p.type == "iri" for p in q.parameters))
WITH_STRING = next(q for q in QUESTIONS if any(p.type == "string" for p in q.parameters))
TABLE = next(q for q in QUESTIONS if q.form == "SELECT" and q.name == "partner-regions-by-country")


def get(service: RunningService, path: str, **options) -> httpx.Response:
    return httpx.get(f"{service.url}{path}", timeout=30, **options)


def test_the_listing_describes_every_question(service: RunningService) -> None:
    listing = get(service, "/questions").json()
    assert [entry["name"] for entry in listing] == [q.name for q in QUESTIONS]
    entry = next(e for e in listing if e["name"] == WITH_IRI.name)
    assert entry["title"] == WITH_IRI.title
    assert entry["query_url"] == f"/questions/{WITH_IRI.name}.rq"
    assert {p["name"] for p in entry["parameters"]} == {p.name for p in WITH_IRI.parameters}


def test_every_question_is_in_the_openapi_document(service: RunningService) -> None:
    paths = get(service, "/openapi.json").json()["paths"]
    for question in QUESTIONS:
        operation = paths[f"/questions/{question.name}"]["get"]
        assert operation["summary"] == question.title
        names = {p["name"] for p in operation["parameters"]}
        assert names == {p.name for p in question.parameters} | {"format"}


def test_a_question_answers_plain_json_with_a_link_to_its_query(service: RunningService) -> None:
    answer = get(service, f"/questions/{TABLE.name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert f"</questions/{TABLE.name}.rq>" in answer.headers["link"]
    body = answer.json()
    assert body["query"] == f"/questions/{TABLE.name}.rq"
    labels = {row.get("regionLabel") for row in body["rows"]}
    assert {"Leningrad Oblast", "Brașov County"} <= labels
    assert any(label and label.startswith("Shanghai") for label in labels)
    text = get(service, body["query"]).text
    assert text == TABLE.text


@pytest.mark.parametrize(
    "accept, media_type",
    [
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
    ],
)
def test_answers_negotiate_their_format(
    service: RunningService, accept: str, media_type: str
) -> None:
    answer = get(service, f"/questions/{TABLE.name}", headers={"Accept": accept})
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    assert "Leningrad" in answer.text


def test_a_csv_download_streams_whole_past_the_row_limit(limited_questions) -> None:
    too_many = get(limited_questions, "/questions/labels")
    assert too_many.status_code == 400
    assert "more than 50 rows" in too_many.text
    download = get(limited_questions, "/questions/labels?format=csv")
    assert download.status_code == 200
    assert "content-length" not in download.headers  # sent in chunks as they come
    assert download.headers["content-disposition"] == 'attachment; filename="labels.csv"'
    rows = list(csv.reader(io.StringIO(download.text)))
    assert len(rows) > 51


def test_a_bad_value_gets_422_naming_the_parameter(service: RunningService) -> None:
    parameter = next(p for p in WITH_IRI.parameters if p.type == "iri")
    answer = get(service, f"/questions/{WITH_IRI.name}", params={parameter.name: "not an iri"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", parameter.name]
    unknown = get(service, f"/questions/{WITH_IRI.name}", params={"no_such": "x"})
    assert unknown.status_code == 422


@pytest.mark.parametrize(
    "hostile",
    ['x" } ; DROP ALL ; { "', "} ; DROP ALL", '\\" ) } DELETE WHERE { ?s ?p ?o } #', "a\nb"],
)
def test_hostile_values_stay_values(service: RunningService, hostile: str) -> None:
    parameter = next(p for p in WITH_STRING.parameters if p.type == "string")
    answer = get(service, f"/questions/{WITH_STRING.name}", params={parameter.name: hostile})
    assert answer.status_code == 200, answer.text
    assert answer.json()["parameters"][parameter.name] == hostile
    iri_parameter = next(p for p in WITH_IRI.parameters if p.type == "iri")
    refused = get(service, f"/questions/{WITH_IRI.name}", params={iri_parameter.name: hostile})
    assert refused.status_code == 422
    still_there = httpx.get(f"{service.url}/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert still_there.json()["boolean"] is True


def test_an_unknown_question_is_404_with_the_close_names(service: RunningService) -> None:
    answer = get(service, "/questions/partner-regions")
    assert answer.status_code == 404
    assert "partner-regions-by-country" in answer.json()["detail"]


def test_concurrent_plain_json_answers_keep_the_service_up(service: RunningService) -> None:
    import asyncio

    async def many() -> list[int]:
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
            answers = await asyncio.gather(
                *(client.get(f"/questions/{TABLE.name}") for _ in range(64))
            )
        return [answer.status_code for answer in answers]

    assert asyncio.run(many()) == [200] * 64
    assert get(service, "/health").status_code == 200


# -- what a new analyst tripped over (issue 8) -----------------------------------------------


def test_an_unknown_format_names_each_choice_once(service: RunningService) -> None:
    answer = get(service, "/questions/focus-areas", params={"format": "xlsx"})
    assert answer.status_code == 400
    assert answer.text.strip() == "unknown format 'xlsx'; choose one of json, xml, csv, tsv"


@pytest.mark.parametrize(
    "tag, said",
    [("xx-1", "'xx-1' is not a BCP 47 language tag"), ("fr", "there is no text in 'fr'")],
)
def test_a_language_must_be_one_the_graph_holds(
    service: RunningService, tag: str, said: str
) -> None:
    answer = get(service, "/questions/focus-areas", params={"lang": tag})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["query", "lang"]
    assert said in detail["msg"]
    assert detail["msg"].endswith("the graph holds text in da, en")
    danish = get(service, "/questions/focus-areas", params={"lang": "da"}).json()
    assert "fødevarer" in {row.get("areaLabel") for row in danish["rows"]}


def test_an_answer_echoes_every_parameter_used_defaults_included(service: RunningService) -> None:
    question = shipped_questions().get("focus-areas")
    body = get(service, "/questions/focus-areas", params={"lang": "da"}).json()
    assert body["parameters"] == {p.name: p.default for p in question.parameters} | {"lang": "da"}
    assert body["defaults_used"] == [p.name for p in question.parameters if p.name != "lang"]


def test_questions_let_browser_clients_in_and_answer_only_get(service: RunningService) -> None:
    url = f"{service.url}/questions/decisions"
    preflight = httpx.options(
        url, headers={"Origin": "http://example.org", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    simple = httpx.get(url, headers={"Origin": "http://example.org"})
    assert simple.status_code == 200
    assert simple.headers["access-control-allow-origin"] == "*"
    refused = httpx.post(url)
    assert refused.status_code == 405 and refused.headers["allow"] == "GET"
    # the query text is served beside the lean path, by the listing's application
    assert httpx.get(f"{url}.rq").headers["content-type"].startswith("application/sparql-query")
