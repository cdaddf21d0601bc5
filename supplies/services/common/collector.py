"""Pausing Python's cycle collector around a big piece of work that makes many objects.

The funder workbook builds hundreds of thousands of rows and cells; the collector, set off
by so many allocations, walks the rows already built again and again (0.2-0.3 s of a 4.3 s
workbook at 1M events, bench d). Reference counting frees everything as before while it
is paused; only cycles wait until it runs again.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """How many pauses are running in this process, and whether the collector was on."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.was_enabled = True


_PAUSES = _Pauses()


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cycle collector paused.

    Pauses may overlap (workbooks made in threads of one process): the collector is
    switched back on when the last one ends, and only if it was on before the first.
    """
    with _PAUSES.lock:
        if _PAUSES.running == 0:
            _PAUSES.was_enabled = gc.isenabled()
            gc.disable()
        _PAUSES.running += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.running -= 1
            if _PAUSES.running == 0 and _PAUSES.was_enabled:
                gc.enable()
