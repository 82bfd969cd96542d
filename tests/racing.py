"""Processes started together, for the tests of what must hold when several workers open one
data folder or store at once."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any


def released_together(target: Callable[..., None], args: tuple[Any, ...], count: int,
                      timeout: float) -> tuple[list[Any], list[int | None]]:
    """Fork ``count`` processes running ``target(*args, start, out)``, release them at once
    (``start`` is an Event each waits on) and return what each put on ``out`` and their exit codes."""
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, start, out)) for _ in range(count)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=timeout)
    return results, [p.exitcode for p in procs]
