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
    narrow: list[np.ndarray] = []
    wide: np.ndarray | None = None
    for term in series:
        x = np.asarray(term, dtype=float)
        if x.shape[0] == 1:
            narrow.append(x)
        elif wide is None:
            wide = x.copy()  # the total is added to in place; the line stays as it was
        else:
            wide += x
    total = in_order(narrow, tail)
    if wide is None:
        return total
    wide += total
    return wide


def in_order(rows: list[np.ndarray], tail: tuple[int, ...]) -> np.ndarray:
    """The ``(1, *tail)`` sum of one-row terms, added one after the other in their order.

    One numpy reduction over the stacked rows instead of one addition per row (2,000 cost lines
    made each sum cost about 4 ms of Python). Bit for bit the running sum from 0: a reduction
    down the rows of a C-ordered matrix adds row after row, and for scalars, where numpy would
    sum pairwise, a running total (``accumulate``) keeps the order; ``+ 0.0`` makes a sum of
    negative zeros 0, as the running sum from 0 does.

    >>> rows = [np.array([[0.1]]), np.array([[0.2]]), np.array([[0.3]])]
    >>> float(in_order(rows, (1,))[0, 0]) == (0.0 + 0.1) + 0.2 + 0.3
    True
    """
    if not rows:
        return np.zeros((1, *tail))
    if len(rows) == 1:
        return rows[0] + 0.0
    stacked = np.concatenate(rows)
    if tail:
        return stacked.sum(axis=0, keepdims=True) + 0.0
    return np.add.accumulate(stacked)[-1:] + 0.0


class Stacked:
    """Terms that come back call after call, most of them the very same arrays (the case's cost
    lines a Monte Carlo chunk or a sensitivity call leaves alone): their rows stacked once, so
    that :meth:`add_up_changes` costs one reduction over the stack plus the terms that changed.

    >>> a, b, c = np.ones((1, 2)), np.full((1, 2), 2.0), np.full((1, 2), 4.0)
    >>> stack = Stacked([a, b, c], (2,))
    >>> stack.add_up_changes({}).tolist(), stack.add_up_changes({1: np.full((3, 2), 8.0)}).tolist()
    ([[7.0, 7.0]], [[13.0, 13.0], [13.0, 13.0], [13.0, 13.0]])
    """

    def __init__(self, terms: list[np.ndarray], tail: tuple[int, ...]):
        self.terms = terms
        self.tail = tail
        self.rows = np.concatenate(terms) if terms else np.zeros((0, *tail))
        if self.rows.shape[0] != len(terms):
            raise ValueError("stacked terms are one row each")
        self.total = in_order(terms, tail)

    def add_up_changes(self, changes: dict[int, Any]) -> np.ndarray:
        """:func:`add_up` of the stacked terms with ``changes[i]`` in place of term i, bit for
        bit; a change that is the stacked term itself changes nothing.

        >>> a, b = np.ones((1, 2)), np.full((1, 2), 2.0)
        >>> stack = Stacked([a, b], (2,))
        >>> stack.add_up_changes({1: np.full((2, 2), 5.0)}).tolist()
        [[6.0, 6.0], [6.0, 6.0]]
        """
        changed = sorted(i for i, x in changes.items() if x is not self.terms[i])
        if not changed:
            return self.total.copy()
        rows = self.rows
        keep = np.ones(len(self.terms), dtype=bool)
        wide: np.ndarray | None = None
        for i in changed:
            x = np.asarray(changes[i], dtype=float)
            if x.shape[0] == 1:
                if rows is self.rows:
                    rows = rows.copy()
                rows[i] = x[0]
            else:
                keep[i] = False
                if wide is None:
                    wide = x.copy()
                else:
                    wide += x
        kept = rows[keep] if not keep.all() else rows
        total = in_order(list(kept[:, None]), self.tail) if kept.shape[0] < 2 else (
            kept.sum(axis=0, keepdims=True) + 0.0 if self.tail
            else np.add.accumulate(kept)[-1:] + 0.0)
        if wide is None:
            return total
        wide += total
        return wide


def running(step: np.ufunc, values: Any) -> np.ndarray:
    """``step.accumulate`` along the years (the last axis): a running total with ``np.add``, a
    running minimum with ``np.minimum``. The same numbers bit for bit, taken one year at a time
    across the draws where there are many draws: numpy accumulates along each short row in turn,
    twice as slow at 10,000 draws x 12 years (0.68 against 0.36 ms for a total).

    >>> running(np.add, np.array([[1.0, 2.0, 3.0]])).tolist()
    [[1.0, 3.0, 6.0]]
    >>> running(np.minimum, np.arange(6.0).reshape(2, 3)[:, ::-1]).tolist()
    [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]
    """
    values = np.asarray(values)
    if values.ndim != 2 or values.shape[0] < _MANY_DRAWS:
        return step.accumulate(values, axis=-1)
    out = np.empty_like(values)
    out[:, 0] = values[:, 0]
    for year in range(1, values.shape[1]):
        step(out[:, year - 1], values[:, year], out=out[:, year])
    return out


_MANY_DRAWS = 64  # from here a year at a time is quicker than numpy's accumulate
