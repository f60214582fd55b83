"""Sums over the cost lines of one engine call, quick where the lines are the case's own.

A Monte Carlo chunk or a sensitivity call rebuilds only the cost lines its parameters move
(:mod:`labfinance.engine.reuse`); every other line is the case's own array, the same object in
every call. The sums the engine takes over the lines (the cost row, residual value, investment
cost, costs before contingency, a grant's eligible cost) then stack the case's rows once per
scenario (:class:`~labfinance.engine.sums.Stacked`) and add only what changed: at 2,000 lines
each sum cost about 2 ms of Python a call, adding every line in turn. Results are bit for bit
those of :func:`~labfinance.engine.sums.add_up` over the same lines.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import numpy as np

from labfinance.engine.lineitems import CostLine
from labfinance.engine.sums import Stacked, add_up

_KEEP = 64  # sums remembered: a few per scenario, for the case, its variants and a comparison
# (id of the case's line list, what is summed) -> (that list, each summed line's place in the
# sum by its place among the lines, their stack)
_stacks: dict[tuple[int, str], tuple[list[CostLine], dict[int, int], Stacked]] = {}

Value = Callable[[CostLine], Any]


class LineSums:
    """Sums over ``lines``, the cost lines of one call; ``case`` the case's own lines of the same
    scenario, in the same order (None: no reuse, each sum adds every line)."""

    def __init__(self, lines: list[CostLine], case: list[CostLine] | None):
        self.lines = lines
        self.case = case if case is not None and len(case) == len(lines) else None
        # the lines this call built again (its parameters move them): the others are the case's
        self.moved = ([i for i, (line, own) in enumerate(zip(lines, self.case, strict=True))
                       if line is not own] if self.case is not None else [])
        self._index: dict[str, int] | None = None

    def total(self, key: str, value: Value, tail: tuple[int, ...],
              where: Callable[[CostLine], bool] | None = None,
              varies: Collection[str] = ()) -> np.ndarray:
        """The sum of ``value(line)`` over the lines ``where`` holds (by id and category, so
        that it holds for a call's line exactly where it holds for the case's); ``key`` names
        the sum for the stack remembered per case. ``value`` of a case's own line is the case's
        value, except for the lines whose ids ``varies`` names (read again every call): only
        those and the lines this call built again are read, not all 2,000 of a large file."""
        if self.case is None:
            return add_up((value(line) for line in self.lines if where is None or where(line)),
                          tail)
        entry = _stacks.get((id(self.case), key))
        if entry is None or entry[0] is not self.case:
            chosen = [i for i, line in enumerate(self.case) if where is None or where(line)]
            terms = [np.asarray(value(self.case[i]), dtype=float) for i in chosen]
            if any(term.shape[0] != 1 for term in terms):  # not a case: nothing to reuse
                return add_up((value(self.lines[i]) for i in chosen), tail)
            if len(_stacks) >= _KEEP:
                _stacks.clear()
            entry = (self.case, {i: place for place, i in enumerate(chosen)}, Stacked(terms, tail))
            _stacks[(id(self.case), key)] = entry
        _, place, stack = entry
        read = set(self.moved)
        if varies:
            if self._index is None:
                self._index = {line.id: i for i, line in enumerate(self.lines)}
            read.update(self._index[ident] for ident in varies if ident in self._index)
        return stack.add_up_changes({place[i]: value(self.lines[i]) for i in read if i in place})
