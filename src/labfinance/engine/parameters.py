"""The real-valued parameters of a scenario, as the engine reads them.

The engine reads every money amount, share and rate through a :class:`Parameters` object by its
parameter path (``costs.cameras.amount``). A base case reads the scenario's own values; sensitivity
and Monte Carlo pass arrays of values for some paths, one value per draw, and the same engine code
runs on all draws at once. Recording which paths a base case reads gives the engine's list of
parameters (:func:`labfinance.engine.core.recorded_parameters`), which a test compares with the
model's (:mod:`labfinance.model.parameters`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


class Parameters:
    """Values of the scenario's parameters for ``draws`` rows.

    ``values`` maps a path to a number or to an array of one value per draw. :meth:`get` returns
    the scenario's own value (a float) where the path has no override, else a ``(draws, 1)`` column
    that broadcasts against ``(draws, years)`` arrays.
    """

    def __init__(self, draws: int = 1, values: Mapping[str, Any] | None = None,
                 record: bool = False):
        self.draws = draws
        self.values: dict[str, Any] = {}
        for path, value in (values or {}).items():
            arr = np.asarray(value, dtype=float)
            if arr.ndim == 0:
                self.values[path] = float(arr)
            else:
                if arr.shape != (draws,):
                    raise ValueError(f"values for {path} have shape {arr.shape}, not ({draws},)")
                self.values[path] = arr.reshape(draws, 1)
        self.recorded: dict[str, float] | None = {} if record else None

    def get(self, path: str, base: Any) -> Any:
        """The value of ``path``; ``base`` is the scenario's own (effective) value."""
        if self.recorded is not None and isinstance(base, (int, float)):
            self.recorded.setdefault(path, float(base))
        return self.values.get(path, base)
