"""Serve an N-Quads file with rdflib-endpoint, the Python peer in ``benchmarks/service.py``.

The quads go into an rdflib ``Dataset`` with ``default_union=True``, so a query without
``GRAPH`` sees every triple, as on udsyn and on ``oxigraph serve --union-default-graph``::

    python benchmarks/service/rdflib_server.py data.nq --port 8002
"""

from __future__ import annotations

import argparse
import sys
import time

import uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint


def build_app(data: str) -> SparqlEndpoint:
    """An rdflib-endpoint app answering SPARQL at ``/sparql`` over the quads in ``data``."""
    started = time.perf_counter()
    dataset = Dataset(default_union=True)
    dataset.parse(data, format="nquads")
    print(
        f"rdflib: {len(dataset)} triples in the default graph view, "
        f"parsed in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return SparqlEndpoint(graph=dataset, path="/sparql", title="rdflib benchmark peer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="an N-Quads file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = build_app(args.data)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
