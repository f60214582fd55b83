"""BLAS threads inside the engine: one, whether numpy or labfinance was imported first.

Each case runs in a fresh Python, since which library loads first is decided once per process.
Where numpy comes first, the script sets BLAS to 2 threads itself (what an unlimited BLAS uses on
a 2-core machine), so the test fails if the engine leaves the count alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "smart-mobility-lab.yaml"

SCRIPT = """
import json, sys
{first}
from threadpoolctl import threadpool_info, threadpool_limits
threadpool_limits(2, user_api="blas")

import labfinance.engine.core as core
from labfinance.model.loader import load

def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

inside = []
original = core._evaluate
def recording(*args):
    inside.append(blas_threads())
    return original(*args)
core._evaluate = recording
before = blas_threads()
core.evaluate(load(sys.argv[1]).scenario)
print(json.dumps({{"before": before, "inside": inside[0], "after": blas_threads()}}))
"""


def _threads(first_import: str, **env: str) -> dict[str, list[int]]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(first=first_import), str(SCENARIO)],
                          capture_output=True, text=True, check=True, env={**clean, **env},
                          timeout=120)
    result: dict[str, list[int]] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("first_import", ["import numpy", "import labfinance"])
def test_the_engine_runs_on_one_blas_thread_whatever_was_imported_first(first_import):
    threads = _threads(first_import)
    if first_import == "import numpy":  # BLAS loaded before labfinance could set its default
        assert set(threads["before"]) == {2}
    assert threads["inside"] and set(threads["inside"]) == {1}
    assert threads["after"] == threads["before"]  # the caller's own setting comes back


def test_a_thread_count_the_user_set_wins():
    threads = _threads("import numpy", OPENBLAS_NUM_THREADS="2")
    assert set(threads["inside"]) == {2}



MONTE_CARLO = """
import json, sys, threading
import numpy
from threadpoolctl import threadpool_info, threadpool_limits
threadpool_limits(2, user_api="blas")

import labfinance.engine.core as core
from labfinance.analysis.distributions import uncertain_parameters
from labfinance.analysis.montecarlo import simulate
from labfinance.model.loader import load

numpys = {{lib["filepath"] for lib in threadpool_info() if lib["user_api"] == "blas"}}

def blas_threads():  # numpy's BLAS (scipy may load its own, at the environment's 1, later)
    return [lib["num_threads"] for lib in threadpool_info() if lib["filepath"] in numpys]

inside = []
original = core._evaluate
def recording(*args):
    inside.append((threading.current_thread().name, blas_threads()))
    return original(*args)
core._evaluate = recording
scenario = load(sys.argv[1]).scenario
params, _ = uncertain_parameters(scenario, {{}})
simulate(scenario, params, draws=4_000, seed=1, chunk=1_000, threads=2)
print(json.dumps({{"inside": inside, "after": blas_threads()}}))
"""


def test_monte_carlo_threads_run_on_one_blas_thread_and_give_the_callers_back():
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", MONTE_CARLO.format(), str(SCENARIO)],
                          capture_output=True, text=True, check=True, env=clean, timeout=120)
    seen = json.loads(done.stdout)
    assert len(seen["inside"]) == 4
    assert len({name for name, _ in seen["inside"]}) == 2  # both threads ran engine calls
    assert all(set(threads) == {1} for _, threads in seen["inside"])
    assert set(seen["after"]) == {2}
