"""What a query worker gives up before it opens its store: the network, and unbounded memory.

A worker in a network namespace of its own has no interface up, so no query can make it
open a connection, whatever a guard before it missed. Its address space is capped, so a
runaway query fails in its own worker instead of pressing on the host's memory.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
import threading
import time
from collections.abc import Callable

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_NAME = 15
WORKER_STACK = 64 * 2**20  # the engine recurses over a query's algebra


def isolate_network() -> str | None:
    """Move this process into an empty network namespace; ``None`` if done, else why not.

    As root this needs only ``CLONE_NEWNET``; other users get it with a user namespace of
    their own (unprivileged user namespaces, on by default on current Linux). It must be
    called while the process has a single thread.
    """
    if not sys.platform.startswith("linux"):
        return f"network namespaces are a Linux feature; this is {sys.platform}"
    libc = ctypes.CDLL(None, use_errno=True)
    error = 0
    for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return None
        error = ctypes.get_errno()
    return f"unshare refused: {os.strerror(error)}"


def name_process(name: str) -> None:
    """Give this process a name that ``ps -o comm`` and ``/proc/PID/comm`` show (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def limit_memory(megabytes: int, *, beyond_current: bool = False) -> None:
    """Cap this process's address space; allocations past it fail instead of growing.

    With ``beyond_current``, the cap is what the process maps already plus ``megabytes``: a
    worker forked from the store's host may use that much beside the shared copy.
    """
    if megabytes > 0:
        limit = megabytes * 2**20
        if beyond_current:
            with open("/proc/self/statm", encoding="ascii") as statm:
                limit += int(statm.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def end_with_parent() -> None:
    """End this process once its parent has ended (watched by a thread): a child left behind
    by a service that was killed would go on holding its memory."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="udsyn-parent-watch", daemon=True).start()


def run_with_large_stack(function: Callable[[], None]) -> None:
    """Run ``function`` on a thread with a stack of :data:`WORKER_STACK` bytes, and wait."""
    previous = threading.stack_size(WORKER_STACK)
    try:
        thread = threading.Thread(target=function, name="udsyn-query-runner")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
