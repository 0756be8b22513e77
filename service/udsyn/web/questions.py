"""``/questions``: the named questions as plain web addresses.

``GET /questions`` lists them; ``GET /questions/{name}?param=value`` answers one, as JSON by
default, or as CSV, TSV or a SPARQL results format by ``Accept`` or ``format``;
``GET /questions/{name}.rq`` shows the query text. Each question also has its own entry in
the OpenAPI document with its typed parameters.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import PlainTextResponse, StreamingResponse

from udsyn.formats import GRAPH_FORMATS, RESULT_FORMATS, Format, by_name
from udsyn.questions import LANGUAGES_QUERY, Parameter, Question, QuestionLibrary
from udsyn.runtime.worker import Job
from udsyn.web.errors import answer_media_type, choose_format

router = APIRouter(tags=["questions"])

PLAIN_JSON = Format("json", "application/json", ox.QueryResultsFormat.JSON)
# Plain JSON first: it is the default. SPARQL results JSON is there by its media type.
TABLE_CHOICES = (
    PLAIN_JSON,
    *(f for f in RESULT_FORMATS if f.name != "json"),
    by_name("json", RESULT_FORMATS),
)
GRAPH_CHOICES = tuple(  # JSON-LD first
    by_name(name, GRAPH_FORMATS) for name in ("jsonld", "turtle", "ntriples", "rdfxml")
)
_SCHEMA_TYPES = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "language": {"type": "string", "pattern": "^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
    "integer": {"type": "integer"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
}


def describe(question: Question) -> dict:
    """A question as the listing shows it."""
    return {
        "name": question.name,
        "title": question.title,
        "description": question.description,
        "form": question.form,
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "required": p.required,
                "default": p.default,
                "description": p.description,
            }
            for p in question.parameters
        ],
        "url": f"/questions/{question.name}",
        "query_url": f"/questions/{question.name}.rq",
    }


@router.get("/questions", summary="The named questions, with their parameters")
async def list_questions(request: Request) -> list[dict]:
    """Every named question: title, description, typed parameters and links."""
    return [describe(question) for question in request.app.state.questions]


@router.get(
    "/questions/{name}.rq",
    summary="The SPARQL text of a named question",
    response_class=PlainTextResponse,
)
async def question_text(request: Request, name: str) -> PlainTextResponse:
    """The query behind a question, to read and learn from."""
    question = request.app.state.questions.get(name)
    return PlainTextResponse(question.text, media_type="application/sparql-query; charset=utf-8")


def add_question_routes(app: FastAPI, library: QuestionLibrary) -> None:
    """One route per question, so the OpenAPI document shows each with its parameters."""
    for question in library:
        app.add_api_route(
            f"/questions/{question.name}",
            _endpoint_for(question.name),
            methods=["GET"],
            summary=question.title,
            description=f"{question.description}\n\nQuery: `/questions/{question.name}.rq`",
            tags=["questions"],
            response_class=Response,
            openapi_extra={"parameters": _openapi_parameters(question)},
        )

    @app.get("/questions/{name}", tags=["questions"], include_in_schema=False)
    async def unknown_question(request: Request, name: str) -> Response:
        return await answer(request, request.app.state.questions.get(name))


def _endpoint_for(name: str):
    async def endpoint(request: Request) -> Response:
        return await answer(request, request.app.state.questions.get(name))

    endpoint.__name__ = f"question_{name.replace('-', '_')}"
    return endpoint


def _openapi_parameters(question: Question) -> list[dict]:
    parameters = [
        {
            "name": p.name,
            "in": "query",
            "required": p.required,
            "description": p.description,
            "schema": {**_SCHEMA_TYPES[p.type], **({"default": _typed(p)} if p.default else {})},
        }
        for p in question.parameters
    ]
    parameters.append(
        {"name": "format", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "json (default), csv, tsv, or a SPARQL results or RDF format"}
    )  # fmt: skip
    return parameters


def _typed(parameter: Parameter) -> str | int | bool:
    """A parameter's default as the JSON type its schema declares."""
    default = parameter.default or ""
    if parameter.type == "integer":
        return int(default)
    if parameter.type == "boolean":
        return default.lower() == "true"
    return default


async def answer(request: Request, question: Question) -> Response:
    """Run a question with the request's parameters, in the negotiated format."""
    settings = request.app.state.settings
    values = {k: v for k, v in request.query_params.items() if k != "format"}
    languages = await _languages(request) if question.takes_language else frozenset()
    bindings = tuple(question.bind(values, settings.base_iri, languages).items())
    chosen = _answer_format(request, question)
    link = f'</questions/{question.name}.rq>; rel="describedby"; type="application/sparql-query"'
    headers = {"Link": link, "Vary": "Accept"}
    if chosen is PLAIN_JSON:
        job = Job(question.text, "json", max_rows=settings.max_rows, bindings=bindings)
        answer = await request.app.state.pool.run(job)
        plain = _plain_json(question, values, answer.body)
        return Response(plain, media_type="application/json", headers=headers)
    if chosen.name == "csv":  # a download: streamed whole, whatever its size
        headers["Content-Disposition"] = f'attachment; filename="{question.name}.csv"'
        job = Job(question.text, "csv", bindings=bindings)
        chunks = await _started(request.app.state.pool.stream(job))
        return StreamingResponse(chunks, media_type=answer_media_type(chosen), headers=headers)
    job = Job(question.text, chosen.name, chosen.name, max_rows=settings.max_rows,
              bindings=bindings)  # fmt: skip
    answer = await request.app.state.pool.run(job)
    return Response(answer.body, media_type=answer_media_type(chosen), headers=headers)


async def _languages(request: Request) -> frozenset[str]:
    """The language tags of the graph's text, asked once: a served store is not written to
    while it is served."""
    state = request.app.state
    if state.languages is None:
        answer = await state.pool.run(Job(LANGUAGES_QUERY, "json"))
        bindings = json.loads(answer.body)["results"]["bindings"]
        state.languages = frozenset(row["lang"]["value"].lower() for row in bindings)
    return state.languages


async def _started(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The stream with its first chunk already read, so early errors get a proper status."""
    first = await anext(chunks, b"")

    async def all_chunks() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return all_chunks()


def _answer_format(request: Request, question: Question) -> Format:
    choices = GRAPH_CHOICES if question.form in ("CONSTRUCT", "DESCRIBE") else TABLE_CHOICES
    named = request.query_params.get("format")
    return choose_format(request.headers.get("accept"), named, choices)


def _plain_json(question: Question, values: dict[str, str], body: bytes) -> bytes:
    """SPARQL JSON results rewritten as plain rows of values."""
    results = json.loads(body)
    head = {
        "question": question.name,
        "title": question.title,
        "query": f"/questions/{question.name}.rq",
        "parameters": question.values_used(values),
        "defaults_used": [p.name for p in question.parameters if p.name not in values],
    }
    if "boolean" in results:
        return json.dumps({**head, "boolean": results["boolean"]}).encode()
    rows = [
        {name: term["value"] for name, term in binding.items()}
        for binding in results["results"]["bindings"]
    ]
    document = {**head, "columns": results["head"]["vars"], "rows": rows}
    return json.dumps(document, ensure_ascii=False).encode()
