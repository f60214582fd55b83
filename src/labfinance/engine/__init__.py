"""The engine: Scenario -> Results. Pure, vectorised over draws, no I/O.

``timeline`` (years, price factors) and ``finance`` (one finance idea each: a numpy function
with its spreadsheet formula beside it) serve ``lineitems`` (costs, benefits) and ``financing``
(funding sources), which ``core`` adds up into the ledger, metrics and stakeholders.
"""

from labfinance.engine.catalogue import METRICS
from labfinance.engine.core import LEDGER_ROWS, Results, evaluate

__all__ = ["LEDGER_ROWS", "METRICS", "Results", "evaluate"]
