"""The start page (``/start``) and the search over labels (``/search?q=``)."""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from udsyn.web import describe
from udsyn.web.errors import ProtocolError
from udsyn.web.pages import Labels, language, render

router = APIRouter(tags=["linked data"])

MAX_SEARCH = 200
ENTRY_KINDS = ("home", "partners", "decisions", "focus", "schemes", "documents")


@router.get("/start", response_class=HTMLResponse, summary="What the graph holds, and ways in")
async def start(request: Request) -> HTMLResponse:
    """Counts by class, the entry points (partners, decisions, focus areas, schemes, sources)
    and a search."""
    base = request.app.state.settings.base_iri
    labels = Labels(await describe.labels(request), language(request), base)
    counted = await describe.select(request, describe.COUNTS, {"base": ox.Literal(base)})
    counts = [(labels.link(row["class"].value), int(row["n"].value)) for row in counted]
    entries: dict[str, list[dict]] = defaultdict(list)
    for row in await describe.select(request, describe.ENTRY_POINTS, {}):
        sort = row["sort"].value if "sort" in row else ""
        entries[row["kind"].value].append({"link": labels.link(row["s"].value), "sort": sort})
    entry_points = [
        (kind, sorted(entries[kind], key=lambda item: (item["sort"], item["link"].label.lower())))
        for kind in ENTRY_KINDS
        if entries[kind]
    ]
    return render(request, "start.html", counts=counts, entry_points=entry_points)


@router.get("/search", response_class=HTMLResponse, summary="Find resources by their labels")
async def search(request: Request, q: str = "") -> HTMLResponse:
    """Resources whose label (Danish or English, preferred or alternative) holds ``q``."""
    text = q.strip()
    if len(text) > MAX_SEARCH:
        raise ProtocolError(400, f"search for at most {MAX_SEARCH} characters")
    if not text:
        return render(request, "search.html", query="", results=[])
    rows = await describe.select(request, describe.SEARCH, {"q": ox.Literal(text)})
    lang = language(request)
    labels = Labels(await describe.labels(request), lang, request.app.state.settings.base_iri)
    found: dict[str, list[ox.Literal]] = defaultdict(list)
    for row in rows:
        found[row["s"].value].append(row["label"])
    results = []
    for iri, matched in found.items():
        link = labels.link(iri)
        also = [{"text": label.value, "lang": label.language or ""} for label in matched
                if label.value != link.label]  # fmt: skip
        results.append({"link": link, "also": also[:3]})
    return render(request, "search.html", query=text, results=results)
