"""The analysis layer: one run of a scenario (base case, variants, sensitivity, Monte Carlo) and
comparisons of several. It calls the engine and hands typed results to the outputs."""

from labfinance.analysis.run import Analysis, analyse

__all__ = ["Analysis", "analyse"]
