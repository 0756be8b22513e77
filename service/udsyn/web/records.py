"""Partnership records over HTTP: validate a register, accept it as a batch, list, show and
retract batches. Writes need a bearer token; see ``udsyn.records.tokens``."""

from __future__ import annotations

import datetime
import json
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from udsyn.records import batches
from udsyn.records.batches import BatchRefused, Checked, RecordConflict, UnknownBatch, Upload
from udsyn.records.tokens import NotAuthorised, WritesDisabled, authorise, holders
from udsyn.registers.findings import CheckReport
from udsyn.registers.reading import RegisterError
from udsyn.runtime.checker import Checker
from udsyn.runtime.writer import Writer, WritesUnavailable
from udsyn.store import Store

router = APIRouter(tags=["records"])

# Media types of the register formats, and the file suffix each stands for.
SUFFIXES = {
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/turtle": ".ttl",
    "application/ld+json": ".jsonld",
}

_REGISTER_BODY = {
    "requestBody": {
        "required": True,
        "description": "A register: CSV, XLSX, Turtle or JSON-LD by Content-Type, or a "
        "multipart/form-data upload of one or more files (field `file`).",
        "content": {
            **{media: {"schema": {"type": "string", "format": "binary"}} for media in SUFFIXES},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


def _writer(request: Request) -> Writer:
    return request.app.state.writer


def _checker(request: Request) -> Checker:
    return request.app.state.checker


async def _uploads(request: Request, name: str | None) -> list[Upload]:
    """The registers in the request body, each under a file name whose suffix is its format."""
    limit = request.app.state.settings.max_upload_bytes
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit:
        raise HTTPException(413, f"the register is larger than {limit} bytes")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form(max_part_size=limit)
        files = [value for _, value in form.multi_items() if hasattr(value, "read")]
        if not files:
            raise HTTPException(400, "the form holds no file; send the register as field 'file'")
        return [Upload(file.filename or "register", await file.read()) for file in files]
    if media not in SUFFIXES:
        raise HTTPException(
            415, f"send a register as one of {', '.join(SUFFIXES)}, or multipart/form-data"
        )
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, f"the register is larger than {limit} bytes")
    stem = (name or "register").rsplit(".", 1)[0]
    return [Upload(stem + SUFFIXES[media], body)]


def _holder(request: Request, authorization: str | None) -> str:
    settings = request.app.state.settings
    try:
        return authorise(authorization, holders(settings.write_token, settings.write_tokens))
    except WritesDisabled as error:
        raise HTTPException(403, str(error)) from None
    except NotAuthorised as error:
        raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None


def _findings(report: CheckReport) -> dict:
    return json.loads(report.to_json())


def _as_of(value: str | None) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"as_of takes a date as YYYY-MM-DD, not {value!r}") from None


@router.post(
    "/validate", summary="Check a register, as `udsyn check` does", openapi_extra=_REGISTER_BODY
)
async def validate(
    request: Request,
    name: Annotated[
        str | None, Query(description="The register's file name, for the findings.")
    ] = None,
    as_of: Annotated[str | None, Query(description="The date the date rules judge by.")] = None,
) -> dict:
    """The findings for a register against the served graph; writes nothing, needs no token."""
    uploads = await _uploads(request, name)
    date = _as_of(as_of)
    try:
        _writer(request).store()  # a store in memory alone cannot be read from another process
        report = await _checker(request).validate(uploads, date)
    except RegisterError as error:
        raise HTTPException(400, str(error)) from None
    except WritesUnavailable as error:
        raise HTTPException(503, str(error)) from None
    return _findings(report)


@router.post(
    "/records",
    status_code=201,
    summary="Accept a register as one batch of records",
    openapi_extra=_REGISTER_BODY,
    responses={
        401: {"description": "No token, or a wrong one."},
        403: {"description": "Writes are disabled (no token configured)."},
        409: {"description": "A record is already stored with other content."},
        422: {"description": "The register has violations; nothing was stored."},
    },
)
async def add_records(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    name: Annotated[str | None, Query(description="The register's file name.")] = None,
    replace: Annotated[bool, Query(description="Store new versions of changed records.")] = False,
    as_of: Annotated[str | None, Query(description="The date the date rules judge by.")] = None,
) -> Response:
    """Check the register and store it as one batch, all or nothing."""
    holder = _holder(request, authorization)
    uploads = await _uploads(request, name)
    date = _as_of(as_of)
    try:
        outcome = await _accepted(request, uploads, holder, replace=replace, as_of=date)
    except BatchRefused as refused:
        return JSONResponse(_findings(refused.report), status_code=422)
    except RecordConflict as conflict:
        return JSONResponse({"detail": str(conflict), "records": conflict.ids}, status_code=409)
    except RegisterError as error:
        raise HTTPException(400, str(error)) from None
    except WritesUnavailable as error:
        raise HTTPException(503, str(error)) from None
    body = {
        "batch": outcome.batch or None,
        "stored": outcome.stored,
        "replaced": outcome.replaced,
        "unchanged": outcome.unchanged,
        **_findings(outcome.report),
    }
    headers = {"Location": f"/records/batches/{outcome.batch}"} if outcome.batch else {}
    return JSONResponse(body, status_code=201 if outcome.batch else 200, headers=headers)


class _Overtaken(Exception):
    """Another write came in between a batch's check and its turn to be stored."""


async def _accepted(
    request: Request,
    uploads: list[Upload],
    holder: str,
    *,
    replace: bool,
    as_of: datetime.date | None,
) -> batches.Outcome:
    """Check the uploads in the checking process, then store them through the writer.

    A check that another write overtook is done again, in the checking process for two more
    tries, then by the writer itself, so a batch is always stored as checked against the
    store it goes into.
    """
    writer, checker = _writer(request), _checker(request)
    writer.store()  # refuses a store in memory alone before any check
    for _ in range(3):
        checked_at = writer.generation
        checked = await checker.check_batch(uploads, as_of)
        if checked.batch is None:
            raise BatchRefused(checked.report)

        def store_checked(
            store: Store, checked: Checked = checked, at: int = checked_at
        ) -> batches.Outcome:
            if writer.generation != at:
                raise _Overtaken
            return batches.accept(
                store, uploads, holder, checked=checked, replace_existing=replace, as_of=as_of
            )

        try:
            return await writer.write(store_checked)
        except _Overtaken:
            continue
    return await writer.write(
        lambda store: batches.accept(store, uploads, holder, replace_existing=replace, as_of=as_of)
    )


@router.get("/records/batches", summary="Accepted batches, newest first")
async def list_batches(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    found = await _writer(request).read(lambda store: batches.list_batches(store, limit, offset))
    return {"batches": found, "limit": limit, "offset": offset}


@router.get("/records/batches/{batch_id}", summary="A batch: provenance, files, records")
async def show_batch(request: Request, batch_id: str) -> dict:
    try:
        return await _writer(request).read(lambda store: batches.describe_batch(store, batch_id))
    except UnknownBatch as error:
        raise HTTPException(404, str(error)) from None


@router.delete("/records/batches/{batch_id}", summary="Retract a batch", status_code=200)
async def retract_batch(
    request: Request, batch_id: str, authorization: Annotated[str | None, Header()] = None
) -> dict:
    holder = _holder(request, authorization)
    try:
        await _writer(request).write(lambda store: batches.retract(store, batch_id, holder))
    except UnknownBatch as error:
        raise HTTPException(404, str(error)) from None
    return {"batch": batch_id, "retracted": True}
