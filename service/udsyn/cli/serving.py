"""``udsyn serve``: the SPARQL endpoint, the named questions and the query page."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from udsyn.cli.common import Failure, app, err, settings_of
from udsyn.cli.data import load_into
from udsyn.loading import shipped_sources
from udsyn.store import ServingLock, open_store


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Address to listen on. [env: UDSYN_HOST]")
    ] = None,
    port: Annotated[int | None, typer.Option(metavar="PORT", help="Port. [env: UDSYN_PORT]")] = (
        None
    ),
    query_timeout: Annotated[
        float | None,
        typer.Option(metavar="SECONDS", help="Seconds a query may run. [env: UDSYN_QUERY_TIMEOUT]"),
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the SPARQL endpoint, named questions and the query page.

    On first start with an empty store, the shipped strategy graph is loaded.

    Example: `udsyn serve --port 8000` then open http://127.0.0.1:8000
    """
    import uvicorn

    from udsyn.web.app import create_app
    from udsyn.web.http import HttpProtocol, ServiceServer

    settings = settings_of(ctx).with_overrides(host=host, port=port, query_timeout=query_timeout)
    listener = listen(settings.host, settings.port)
    if settings.in_memory:
        err.print("serving the shipped graph from memory (nothing is kept when it stops)")
    else:
        with open_store(settings) as store:
            if store.is_empty():
                count = load_into(store, shipped_sources(), settings.base_iri)
                err.print(f"loaded the shipped graph: {count} quads into {store.description}")
    lock = None
    if settings.remote is None and not settings.in_memory:
        lock = ServingLock(settings.store_path)
        lock.hold(settings.service_url)
    fronts = settings.front_processes > 0  # they accept; the service serves what they hand over
    service = create_app(settings, listener=listener if fronts else None, access_log=access_log)
    config = uvicorn.Config(
        service,
        http=HttpProtocol,
        ws="none",  # the service has no WebSocket routes
        log_level="info",
        access_log=access_log,
        lifespan="on",
    )
    server = ServiceServer(config, before_shutdown=service.stop_accepting)
    service.connection_factory = lambda replay: HttpProtocol(
        config=config,
        server_state=server.server_state,
        app_state=server.lifespan.state,
        replay=replay,
    )
    try:
        err.print(f"udsyn serves http://{settings.host}:{settings.port}/ (Ctrl-C stops it)")
        server.run(sockets=[] if fronts else [listener])
    except SystemExit:
        raise Failure("the service did not start; the lines above say why") from None
    finally:
        listener.close()
        if lock is not None:
            lock.release()


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to the address, before anything else starts; a busy port is one line."""
    if not 0 <= port <= 65535:
        raise Failure(f"cannot listen on {host}:{port}: a port is a number from 0 to 65535")
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, protocol)
    except OSError as error:
        raise Failure(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)
    except OSError as error:
        listener.close()
        raise Failure(
            f"cannot listen on {host}:{port}: {error.strerror}; stop what uses it or choose "
            "another port with --port or UDSYN_PORT"
        ) from None
    return listener
