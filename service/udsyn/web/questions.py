"""``/questions``: the named questions as plain web addresses.

``GET /questions`` lists them; ``GET /questions/{name}?param=value`` answers one, as JSON by
default, or as CSV, TSV or a SPARQL results format by ``Accept`` or ``format``;
``GET /questions/{name}.rq`` shows the query text. Each question also has its own entry in
the OpenAPI document with its typed parameters (:func:`openapi_paths`).

Answering a question is, with ``/sparql``, the service's hot path: a plain ASGI application
(:class:`QuestionEndpoint`, CORS its only middleware) beside the FastAPI application that
serves the listing and the query texts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pyoxigraph as ox
from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from udsyn.config import Settings
from udsyn.formats import GRAPH_FORMATS, RESULT_FORMATS, Format, by_name, choose_format
from udsyn.questions import LANGUAGES_QUERY, Parameter, Question, QuestionLibrary
from udsyn.runtime.pool import Queries
from udsyn.runtime.worker import Job
from udsyn.web.cors import CrossOrigin
from udsyn.web.errors import answer_lean, answer_media_type

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
_DESCRIBED_BY = 'rel="describedby"; type="application/sparql-query"'
_ANSWERS = {
    "200": {"description": "The answer: plain JSON rows by default, or the format asked for."},
    "404": {"description": "No question has that name; the close ones are named."},
    "406": {"description": "No format the client accepts fits the answer."},
    "422": {"description": "A parameter value does not fit its type."},
    "503": {"description": "The question ran too long."},
}
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


def is_question_path(path: str) -> bool:
    """Whether ``path`` asks a question (``/questions/{name}``, not its ``.rq`` text)."""
    return path.startswith("/questions/") and not path.endswith(".rq")


def question_endpoint(settings: Settings, pool: Queries, library: QuestionLibrary) -> ASGIApp:
    """The application that answers ``/questions/{name}``, with CORS for other origins."""
    return CrossOrigin(QuestionEndpoint(settings, pool, library))


class QuestionEndpoint:
    """``/questions/{name}`` as a plain ASGI application: bind, then the worker pool."""

    def __init__(self, settings: Settings, pool: Queries, library: QuestionLibrary) -> None:
        self.settings = settings
        self.pool = pool
        self.library = library
        self._languages: tuple[int, frozenset[str]] | None = None  # (store generation, tags)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await answer_lean(scope, receive, send, {"GET": self.get})

    async def get(self, request: Request) -> Response:
        name = request.url.path.removeprefix("/questions/")
        return await self.answer(request, self.library.get(name))

    async def answer(self, request: Request, question: Question) -> Response:
        """Run a question with the request's parameters, in the negotiated format."""
        max_rows = self.settings.max_rows
        values = {k: v for k, v in request.query_params.items() if k != "format"}
        languages = await self.languages() if question.takes_language else frozenset()
        bindings = tuple(question.bind(values, self.settings.base_iri, languages).items())
        chosen = _answer_format(request, question)
        link = f"</questions/{question.name}.rq>; {_DESCRIBED_BY}"
        headers = {"Link": link, "Vary": "Accept"}
        if chosen is PLAIN_JSON:
            head = json.dumps(_plain_head(question, values))
            job = Job(question.text, "json", max_rows=max_rows, bindings=bindings, plain_head=head)
            answer = await self.pool.run(job)
            return Response(answer.body, media_type="application/json", headers=headers)
        if chosen.name == "csv":  # a download: streamed whole, whatever its size
            headers["Content-Disposition"] = f'attachment; filename="{question.name}.csv"'
            job = Job(question.text, "csv", bindings=bindings)
            chunks = await _started(self.pool.stream(job))
            return StreamingResponse(chunks, media_type=answer_media_type(chosen), headers=headers)
        job = Job(question.text, chosen.name, chosen.name, max_rows=max_rows, bindings=bindings)
        answer = await self.pool.run(job)
        return Response(answer.body, media_type=answer_media_type(chosen), headers=headers)

    async def languages(self) -> frozenset[str]:
        """The language tags of the graph's text, asked again only after a write."""
        if self._languages is None or self._languages[0] != self.pool.generation:
            generation = self.pool.generation
            answer = await self.pool.run(Job(LANGUAGES_QUERY, "json"))
            bindings = json.loads(answer.body)["results"]["bindings"]
            tags = frozenset(row["lang"]["value"].lower() for row in bindings)
            self._languages = (generation, tags)
        return self._languages[1]


def openapi_paths(library: QuestionLibrary) -> dict[str, dict]:
    """Each question's operation for the service's OpenAPI document, with its parameters."""
    return {
        f"/questions/{question.name}": {
            "get": {
                "tags": ["questions"],
                "summary": question.title,
                "description": f"{question.description}\n\nQuery: `/questions/{question.name}.rq`",
                "operationId": f"question_{question.name.replace('-', '_')}",
                "parameters": _openapi_parameters(question),
                "responses": _ANSWERS,
            }
        }
        for question in library
    }


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


def _plain_head(question: Question, values: dict[str, str]) -> dict:
    """What a plain JSON answer says before its rows: the question and the values used."""
    return {
        "question": question.name,
        "title": question.title,
        "query": f"/questions/{question.name}.rq",
        "parameters": question.values_used(values),
        "defaults_used": [p.name for p in question.parameters if p.name not in values],
    }
