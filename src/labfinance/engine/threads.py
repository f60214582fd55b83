"""One BLAS thread inside the engine, however labfinance was imported.

The engine's arrays are tall and thin (draws x years): BLAS threads only contend for the cores
(measured: the IRR search took 4x longer with threads under load, and a script that imported numpy
before labfinance ran the 100,000-draw Monte Carlo 2.5x slower). Setting ``OPENBLAS_NUM_THREADS``
works only before numpy loads, so the engine also limits the threads of the loaded BLAS at run
time, with ``threadpoolctl``, for the length of each call, and gives the caller its threads back
afterwards. A thread count the user set in the environment wins.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from labfinance import USER_SET_THREADS

_controller: Any = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the body with the loaded BLAS limited to one thread (unless the user chose a count)."""
    global _controller
    if USER_SET_THREADS:
        yield
        return
    if _controller is None:  # built on first use, once numpy has loaded its BLAS (about 2 ms)
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):  # about 50 µs
        yield
