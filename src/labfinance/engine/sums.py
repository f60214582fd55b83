"""Sums of many line items that keep the lines nobody varies one row each.

A series is ``(1, years)`` where it is the same in every draw and ``(draws, years)`` where a
parameter varies it (:mod:`labfinance.engine.lineitems`). Adding them in file order widens the
running total at the first line that varies, and every later line is then added at full size:
2,000 cost lines cost 2,000 full-size additions for one uncertain line. :func:`add_up` adds the
one-row lines first, into one row, and the draw-wide lines into one full-size total, so a sum
costs one full-size addition per line that varies and one for all the others together.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def add_up(series: Iterable[Any], tail: tuple[int, ...]) -> np.ndarray:
    """Sum of arrays of shape ``(1 or draws, *tail)``; one row where every term is one row.

    >>> add_up([np.ones((1, 2)), np.full((3, 2), 2.0), np.ones((1, 2))], (2,)).tolist()
    [[4.0, 4.0], [4.0, 4.0], [4.0, 4.0]]
    >>> add_up([np.ones((1, 2)), np.ones((1, 2))], (2,)).tolist()
    [[2.0, 2.0]]
    >>> add_up([], ()).tolist()
    [0.0]
    """
    narrow = np.zeros((1, *tail))
    wide: np.ndarray | None = None
    for term in series:
        x = np.asarray(term, dtype=float)
        if x.shape[0] == 1:
            narrow += x
        elif wide is None:
            wide = x.copy()  # the total is added to in place; the line stays as it was
        else:
            wide += x
    if wide is None:
        return narrow
    wide += narrow
    return wide
