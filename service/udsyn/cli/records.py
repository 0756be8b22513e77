"""``udsyn records ...`` (batches of partnership records) and ``udsyn backup``.

Each records command works on the local store, or through a running service with
``--service URL`` (the token from ``UDSYN_WRITE_TOKEN``). A store that a running service
holds takes writes only through that service.
"""

from __future__ import annotations

import getpass
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer

from udsyn.cli.common import FINDINGS, Failure, app, out, settings_of
from udsyn.config import Settings
from udsyn.store import EmbeddedStore, StoreError, open_store

records = typer.Typer(
    help="Partnership records in the graph: add a register as a batch, list, show, retract.",
    no_args_is_help=True,
)
app.add_typer(records, name="records")

ServiceOption = Annotated[
    str | None,
    typer.Option("--service", metavar="URL", help="Work through a running udsyn service."),
]
SUFFIX_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
}


@records.command("add")
def add(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A register: .csv, .xlsx, .ttl or .jsonld.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Store new versions of records already stored.")
    ] = False,
    service: ServiceOption = None,
) -> None:
    """Check a register and store it as one batch, all or nothing.

    Exits 1, storing nothing, when the register has violations.

    Example: `udsyn records add partners.csv --service http://127.0.0.1:8000`
    """
    data = path.read_bytes()
    if service:
        status, answer = _call(
            service,
            "POST",
            f"/records?name={path.name}&replace={str(replace).lower()}",
            data,
            SUFFIX_TYPES.get(path.suffix.lower(), "text/csv"),
        )
        if status == 422:
            _print_findings(answer)
            raise typer.Exit(FINDINGS)
        _print_outcome(answer)
        return
    from udsyn.records.batches import BatchRefused, RecordConflict, Upload, accept
    from udsyn.registers import RegisterError

    with _writable(settings_of(ctx)) as store:
        try:
            outcome = accept(store, [Upload(path.name, data)], _holder(), replace_existing=replace)
        except BatchRefused as refused:
            out.print(refused.report.to_text(), highlight=False, markup=False)
            raise typer.Exit(FINDINGS) from None
        except (RecordConflict, RegisterError) as error:
            raise Failure(str(error)) from None
    _print_outcome(
        {
            "batch": outcome.batch,
            "stored": outcome.stored,
            "replaced": outcome.replaced,
            "unchanged": outcome.unchanged,
        }
    )


@records.command("list")
def list_batches(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(metavar="N", help="How many, newest first.")] = 50,
    service: ServiceOption = None,
) -> None:
    """List accepted batches, newest first."""
    if service:
        found = _call(service, "GET", f"/records/batches?limit={limit}")[1]["batches"]
    else:
        from udsyn.records.batches import list_batches as listed

        with open_store(settings_of(ctx), read_only=True) as store:
            found = listed(store, limit)
    for batch in found:
        retracted = f"  retracted {batch['retracted']}" if batch["retracted"] else ""
        out.print(
            f"{batch['id']}  {batch['accepted']}  {batch['by']}  "
            f"{batch['records']} records{retracted}",
            highlight=False,
            markup=False,
        )


@records.command("show")
def show(
    ctx: typer.Context,
    batch_id: Annotated[str, typer.Argument(metavar="ID", help="The batch's id.")],
    service: ServiceOption = None,
) -> None:
    """Show a batch: who, when, files with their SHA-256, records."""
    if service:
        batch = _call(service, "GET", f"/records/batches/{batch_id}")[1]
    else:
        from udsyn.records.batches import UnknownBatch, describe_batch

        with open_store(settings_of(ctx), read_only=True) as store:
            try:
                batch = describe_batch(store, batch_id)
            except UnknownBatch as error:
                raise Failure(str(error)) from None
    out.print(json.dumps(batch, indent=2, ensure_ascii=False), highlight=False, markup=False)


@records.command("retract")
def retract(
    ctx: typer.Context,
    batch_id: Annotated[str, typer.Argument(metavar="ID", help="The batch's id.")],
    service: ServiceOption = None,
) -> None:
    """Retract a batch: its records leave the graph; the audit graph keeps the history."""
    if service:
        _call(service, "DELETE", f"/records/batches/{batch_id}")
    else:
        from udsyn.records.batches import UnknownBatch
        from udsyn.records.batches import retract as retracted

        with _writable(settings_of(ctx)) as store:
            try:
                retracted(store, batch_id, _holder())
            except UnknownBatch as error:
                raise Failure(str(error)) from None
    out.print(f"retracted batch {batch_id}", highlight=False, markup=False)


@app.command()
def backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(metavar="FOLDER", help="A folder that does not exist.")],
) -> None:
    """Copy the embedded store consistently, also while the service runs.

    Restore by pointing UDSYN_STORE (or --store) at the copy, or by moving it in place of
    the store while no service runs.

    Example: `udsyn backup backups/2026-11-30`
    """
    settings = settings_of(ctx)
    if settings.remote is not None or settings.in_memory:
        raise Failure("backup copies an embedded store on disk; back a server up with its tools")
    if target.exists():
        raise Failure(f"{target} exists already; name a new folder")
    with EmbeddedStore(settings.base_iri, settings.store_path, read_only=True) as store:
        try:
            store.native.backup(str(target))
        except OSError as error:
            raise Failure(f"the backup failed: {error}") from None
    out.print(f"backed up {settings.store_path} to {target}", highlight=False, markup=False)


# -- helpers ----------------------------------------------------------------------------------


def _holder() -> str:
    """Who writes from the command line: UDSYN_STEWARD, else the user's login name."""
    return os.environ.get("UDSYN_STEWARD") or getpass.getuser()


def _writable(settings: Settings):
    try:
        return open_store(settings)
    except StoreError as error:
        raise Failure(f"{error} (or add the records through it: --service URL)") from None


def _call(
    service: str, method: str, path: str, data: bytes | None = None, media: str | None = None
) -> tuple[int, Any]:
    """Ask the service; a refusal other than findings becomes one line (exit 2)."""
    request = urllib.request.Request(service.rstrip("/") + path, data=data, method=method)
    token = os.environ.get("UDSYN_WRITE_TOKEN")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if media:
        request.add_header("Content-Type", media)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"null")
        if error.code == 422:
            return 422, answer
        detail = answer.get("detail") if isinstance(answer, dict) else answer
        raise Failure(f"the service answered {error.code}: {detail}") from None
    except urllib.error.URLError as error:
        raise Failure(f"cannot reach {service}: {error.reason}") from None


def _print_findings(answer: dict) -> None:
    for finding in answer.get("findings", []):
        out.print(
            f"{finding['file']} row {finding['row']} {finding['column'] or ''}: "
            f"{finding['severity']} {finding['message']}",
            highlight=False,
            markup=False,
        )


def _print_outcome(answer: dict) -> None:
    if answer.get("batch"):
        out.print(
            f"stored batch {answer['batch']}: {len(answer['stored'])} records "
            f"({len(answer['replaced'])} replaced, {len(answer['unchanged'])} unchanged)",
            highlight=False,
            markup=False,
        )
    else:
        out.print(
            f"nothing to store: all {len(answer['unchanged'])} records are stored already",
            highlight=False,
            markup=False,
        )
