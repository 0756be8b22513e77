"""The release, served: ``/catalog`` (DCAT-AP 3, negotiated and paged), ``/download/`` (the
release's files, with ETags and ranges) and VoID at ``/.well-known/void``.

The release is built from the store when first asked for and again whenever the store's
content has changed, so the catalogue and the dumps follow the store, records accepted
included: where the service's writer is the store's only writer (the embedded store), after
each of its writes; otherwise (a SPARQL server others may write) by looking at most every
``refresh_seconds``. Include it with
``app.include_router(catalog.router)``; it reads ``app.state.settings``, and reads the store
through ``app.state.writer`` (the service's one read-write handle) where the app has one,
else through a read-only handle of its own.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from typing import Protocol

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from udsyn.config import Settings
from udsyn.formats import Format, negotiate
from udsyn.publish import vocabulary as v
from udsyn.publish.catalogue import catalogue_pages
from udsyn.publish.release import Release, build_release
from udsyn.publish.settings import PublishSettings, load_publish_settings
from udsyn.store import Store, open_store
from udsyn.web.errors import ProtocolError, answer_media_type

router = APIRouter(tags=["catalogue"])

CATALOGUE_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", ox.RdfFormat.TURTLE, ("application/x-turtle",), ".ttl"),
    Format("rdfxml", "application/rdf+xml", ox.RdfFormat.RDF_XML, ("application/xml",), ".rdf"),
    Format("jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, ("application/json",),
           ".jsonld"),
)  # fmt: skip
_BY_EXTENSION = {chosen.extension.lstrip("."): chosen for chosen in CATALOGUE_FORMATS}
_MEDIA_TYPES = {
    ".nq": "application/n-quads", ".trig": "application/trig", ".ttl": "text/turtle",
    ".nt": "application/n-triples", ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml", ".csv": "text/csv", ".md": "text/markdown",
    ".gz": "application/gzip",
}  # fmt: skip


@dataclass
class _Served:
    """The release of the store as last seen, with the content digest it was built from."""

    digest: bytes
    release: Release
    built: datetime.datetime
    etags: dict[str, str] = field(default_factory=dict)


class Releases:
    """The release of the store's current content, rebuilt when that content changes."""

    def __init__(self, settings: Settings, publisher: PublishSettings) -> None:
        self.settings = settings
        self.publisher = publisher.resolved(settings)
        self._served: _Served | None = None
        self._looked = 0.0
        self._generation: int | None = None  # the writer's, when its release was built
        self._lock = asyncio.Lock()

    async def current(self, writer: Reader | None = None) -> _Served:
        """The release as the store holds it now, read through ``writer`` when given."""
        async with self._lock:
            if self._served is None or self._may_have_changed(writer):
                served = self._served
                self._looked = time.monotonic()
                if writer is not None:
                    self._generation = writer.generation if writer.sole_writer else None
                    self._served = await writer.read(lambda store: self._build(store, served))
                else:
                    self._served = await asyncio.to_thread(self._build_from_settings, served)
            return self._served

    def _may_have_changed(self, writer: Reader | None) -> bool:
        if writer is not None and writer.sole_writer:
            return writer.generation != self._generation
        return time.monotonic() - self._looked >= self.publisher.refresh_seconds

    def _build_from_settings(self, served: _Served | None) -> _Served:
        with open_store(self.settings, read_only=True) as store:
            return self._build(store, served)

    def _build(self, store: Store, served: _Served | None) -> _Served:
        """A new release if the store's content differs from the one ``served`` was made of."""
        quads = sorted(str(quad) for quad in store.quads())
        digest = hashlib.sha256("\n".join(quads).encode()).digest()
        if served is not None and served.digest == digest:
            return served
        if not quads:
            raise ProtocolError(503, "the store holds nothing to publish yet")
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        release = build_release(store, self.settings.service_url, self.publisher, now.date())
        etags = {name: f'"{hashlib.sha256(content).hexdigest()}"'
                 for name, content in release.files.items()}  # fmt: skip
        return _Served(digest, release, now, etags)


class Reader(Protocol):
    """What the catalogue needs of the service's writer: reads of its store, in a thread,
    and whether (and when) it has written."""

    @property
    def sole_writer(self) -> bool: ...

    @property
    def generation(self) -> int: ...

    async def read(self, job: Callable[[Store], _Served]) -> _Served: ...


def releases_of(request: Request) -> Releases:
    """The app's releases, made on first use from its settings and the publish settings."""
    state = request.app.state
    if getattr(state, "releases", None) is None:
        state.releases = Releases(state.settings, load_publish_settings())
    return state.releases


async def current(request: Request) -> _Served:
    """The release of the store as it is now, read through the app's writer if it has one."""
    return await releases_of(request).current(getattr(request.app.state, "writer", None))


@router.get("/catalog", summary="The DCAT-AP catalogue", response_class=Response)
@router.head("/catalog", include_in_schema=False)
async def catalog(request: Request, page: int = 1) -> Response:
    """The DCAT-AP 3 catalogue in Turtle, RDF/XML or JSON-LD as ``Accept`` asks; paged with
    ``hydra:next`` when it holds more datasets than a page (``?page=N``)."""
    return await _catalogue_page(request, _negotiated(request), page)


@router.get("/catalog.{extension}", response_class=Response,
            summary="The DCAT-AP catalogue in a named format")  # fmt: skip
@router.head("/catalog.{extension}", include_in_schema=False)
async def catalog_as(request: Request, extension: str, page: int = 1) -> Response:
    """The catalogue as ``/catalog.ttl``, ``/catalog.rdf`` or ``/catalog.jsonld``."""
    chosen = _BY_EXTENSION.get(extension)
    if chosen is None:
        raise ProtocolError(404, f"no catalogue as .{extension}; try .ttl, .rdf or .jsonld")
    return await _catalogue_page(request, chosen, page)


def _negotiated(request: Request) -> Format:
    try:
        return negotiate(request.headers.get("accept"), CATALOGUE_FORMATS)
    except ValueError as refusal:
        raise ProtocolError(406, str(refusal)) from None


async def _catalogue_page(request: Request, chosen: Format, page: int) -> Response:
    served = await current(request)
    settings: Settings = request.app.state.settings
    size = releases_of(request).publisher.catalog_page_size
    pages = dict(catalogue_pages(served.release.facts, size, f"{settings.service_url}catalog"))
    if page not in pages:
        raise ProtocolError(404, f"the catalogue has pages 1 to {len(pages)}, not {page}")
    body = ox.serialize(pages[page], format=chosen.native, prefixes=v.PREFIXES)
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    links = ", ".join(f'<{settings.service_url}catalog{other.extension}>; rel="alternate"; '
                      f'type="{other.media_type}"' for other in CATALOGUE_FORMATS)  # fmt: skip
    headers = {"Vary": "Accept", "Link": links}
    return _conditional(request, body, answer_media_type(chosen), etag, served.built, headers)


@router.get("/download/{name}", response_class=Response, summary="A file of the release")
@router.head("/download/{name}", include_in_schema=False)
async def download(request: Request, name: str) -> Response:
    """A file of the release: the dumps, the model files, the catalogue, VoID, the README.

    Answers ``Range`` (one range), ``If-None-Match``, ``If-Modified-Since`` and ``If-Range``.
    """
    served = await current(request)
    content = served.release.files.get(name)
    if content is None:
        raise ProtocolError(404, f"the release has no file {name!r}; /catalog lists them")
    suffix = "." + name.rsplit(".", 1)[-1]
    media_type = _MEDIA_TYPES.get(suffix, "application/octet-stream")
    if not name.endswith(".gz"):
        media_type = f"{media_type}; charset=utf-8"
    return _conditional(request, content, media_type, served.etags[name], served.built, {})


@router.get("/.well-known/void", response_class=Response, summary="The VoID description")
@router.head("/.well-known/void", include_in_schema=False)
async def void(request: Request) -> Response:
    """The VoID description of the graph (Turtle)."""
    served = await current(request)
    body = served.release.files["void.ttl"]
    return _conditional(request, body, "text/turtle; charset=utf-8", served.etags["void.ttl"],
                        served.built, {})  # fmt: skip


def _conditional(
    request: Request,
    body: bytes,
    media_type: str,
    etag: str,
    modified: datetime.datetime,
    headers: dict[str, str],
) -> Response:
    """The body, or 304 when the client has it, or the one range it asks for (206, 416)."""
    headers = {**headers, "ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True),
               "Accept-Ranges": "bytes"}  # fmt: skip
    if _not_modified(request, etag, modified):
        return Response(status_code=304, headers=headers)
    wanted = request.headers.get("range", "")
    if _RANGES.match(wanted) and _range_applies(request, etag, modified):
        span = _span(wanted, len(body))
        if span is None:
            headers["Content-Range"] = f"bytes */{len(body)}"
            return Response(status_code=416, headers=headers)
        start, end = span
        headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
        return _answer(request, body[start : end + 1], media_type, headers, 206)
    return _answer(request, body, media_type, headers, 200)


# A well-formed byte-ranges header; anything else is ignored, as HTTP allows.
_RANGES = re.compile(r"^\s*bytes\s*=\s*\d*-\d*(\s*,\s*\d*-\d*)*\s*$")


def _answer(
    request: Request, body: bytes, media_type: str, headers: dict[str, str], status: int
) -> Response:
    """``body`` with its length; a HEAD request gets the headers alone."""
    headers = {**headers, "Content-Length": str(len(body))}
    content = b"" if request.method == "HEAD" else body
    return Response(content, status_code=status, media_type=media_type, headers=headers)


def _not_modified(request: Request, etag: str, modified: datetime.datetime) -> bool:
    tags = request.headers.get("if-none-match")
    if tags is not None:
        return tags.strip() == "*" or etag in (tag.strip() for tag in tags.split(","))
    since = _http_date(request.headers.get("if-modified-since"))
    return since is not None and modified <= since


def _range_applies(request: Request, etag: str, modified: datetime.datetime) -> bool:
    """``If-Range``: the range only if the client's copy is still the current one."""
    condition = request.headers.get("if-range")
    if condition is None:
        return True
    if condition.startswith(('"', "W/")):
        return condition == etag
    since = _http_date(condition)
    return since is not None and modified <= since


def _span(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte a well-formed ``bytes=`` header asks for, or None when none
    of its ranges can be satisfied. Several ranges are answered as the one span holding
    them all."""
    spans = []
    for part in header.partition("=")[2].split(","):
        first, _, last = part.strip().partition("-")
        if not first and not last:
            return None
        if not first:  # the last N bytes
            length = int(last)
            if length == 0:
                continue
            spans.append((max(0, size - length), size - 1))
        elif int(first) < size:
            end = min(int(last), size - 1) if last else size - 1
            if end < int(first):
                return None
            spans.append((int(first), end))
    if not spans:
        return None
    return min(start for start, _ in spans), max(end for _, end in spans)


def _http_date(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
