"""Speed of the vectorised engine, sensitivity and Monte Carlo: ``python bench/bench.py``.

Measures, on the largest example scenario (most cost, funding and benefit lines × years) unless
``--scenario`` names another:

a. the engine alone on 100,000 draws, every uncertain parameter and award drawn (target < 1 s);
b. 100,000 Monte Carlo draws plus the tornado and switching values (target < 2 s wall);
c. a loop running the base-case engine once per draw on 500 draws, extrapolated to 100,000, to
   show that the vectorised path is at least 50 times faster;
d. ``labfinance run FILE --json -`` in a fresh Python, default draws (target < 1.5 s wall);
e. ``labfinance import BOOK.xlsx`` in a fresh Python, on the scenario's workbook with three live
   inputs edited (no target in the spec; reported).

Each timing is the best of ``--repeat`` runs (other work on the machine only slows a run down).
Fresh Pythons start from cached bytecode, as an installed labfinance does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scale  # bench/scale.py, beside this script

from labfinance.analysis.distributions import uncertain_parameters
from labfinance.analysis.montecarlo import random_columns, simulate, uniforms
from labfinance.analysis.sensitivity import sensitivity
from labfinance.engine.core import evaluate
from labfinance.engine.parameters import Parameters
from labfinance.model.loader import load
from labfinance.model.parameters import numeric_parameters
from labfinance.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
DRAWS = 100_000
LOOP_DRAWS = 500


def largest_example() -> Path:
    def size(path: Path) -> int:
        s = load(path).scenario
        return (len(s.costs) + len(s.funding) + len(s.benefits)) * s.years

    return max(sorted((ROOT / "scenarios").glob("*.yaml")), key=size)


def best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def drawn_inputs(s: Scenario, draws: int) -> tuple[Parameters, dict[str, np.ndarray]]:
    params, _ = uncertain_parameters(s, {})
    columns = {name: i for i, name in enumerate(random_columns(s))}
    u = uniforms(1, 0, draws, len(columns))
    values = {p.path: p.distribution.ppf(u[columns[p.path]]) for p in params}
    awarded = {f.id: u[columns[f"funding:{f.id}"]] < f.award_probability
               for f in s.funding if not f.committed}
    return Parameters(draws, values), awarded


def edit_three_inputs(book: Path) -> None:
    """Change the first three live money inputs of the Assumptions sheet by 10 %, as a reader."""
    import openpyxl

    wb = openpyxl.load_workbook(book)
    ws = wb["Assumptions"]
    header = next(r for r in ws.iter_rows(max_row=20)
                  if any(c.value == "Parameter path" for c in r))
    col = {c.value: c.column - 1 for c in header}
    edited = 0
    for row in ws.iter_rows(min_row=header[0].row + 1):
        if edited < 3 and row[col["Live"]].value == "live" and \
                row[col["Kind"]].value == "money" and row[col["Value"]].data_type == "n":
            row[col["Value"]].value = round(row[col["Value"]].value * 1.1, 2)
            edited += 1
    wb.save(book)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, help="scenario file (default: largest example)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scale.as_a_user_runs()
    path = args.scenario or largest_example()
    s = load(path).scenario
    params, _ = uncertain_parameters(s, {})
    base_values = numeric_parameters(s)
    print(f"scenario: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
          f"({s.years} years, {len(s.costs)} costs, {len(s.funding)} sources, "
          f"{len(s.benefits)} benefits, {len(params)} uncertain parameters)")

    inputs, awarded = drawn_inputs(s, DRAWS)
    engine = best(args.repeat, lambda: evaluate(s, inputs, awarded, detail=False))
    chunked = best(args.repeat, lambda: simulate(s, params, draws=DRAWS, seed=1))

    def full_run() -> None:
        simulate(s, params, draws=DRAWS, seed=1)
        sensitivity(s, params, base_values)

    with_sensitivity = best(args.repeat, full_run)
    sensitivity_only = best(args.repeat, lambda: sensitivity(s, params, base_values))

    small, small_awarded = drawn_inputs(s, LOOP_DRAWS)

    def loop() -> None:
        for i in range(LOOP_DRAWS):
            one = Parameters(1, {p: v[i:i + 1, 0] for p, v in small.values.items()})
            evaluate(s, one, {k: v[i:i + 1] for k, v in small_awarded.items()}, detail=False)

    looped = best(1, loop) * DRAWS / LOOP_DRAWS

    def cli() -> None:
        subprocess.run([sys.executable, "-m", "labfinance", "run", str(path), "--json", "-"],
                       check=True, capture_output=True, cwd=ROOT)

    cli_wall = best(args.repeat, cli)

    folder = Path(tempfile.mkdtemp(prefix="labfinance-bench-"))
    subprocess.run([sys.executable, "-m", "labfinance", "run", str(path), "-o",
                    str(folder / "book.xlsx"), "--draws", "0"], check=True, capture_output=True)
    edit_three_inputs(folder / "book.xlsx")

    def import_book() -> None:
        subprocess.run([sys.executable, "-m", "labfinance", "import", "book.xlsx", "-o",
                        "back.yaml", "--force"], check=True, capture_output=True, cwd=folder)

    import_wall = best(args.repeat, import_book)
    rows = [
        ("a. engine, 100,000 draws, one call", engine, "< 1 s"),
        ("   Monte Carlo, 100,000 draws (chunks, sampling, statistics)", chunked, ""),
        ("b. Monte Carlo 100,000 + tornado + switching values", with_sensitivity, "< 2 s"),
        ("   tornado + switching values alone", sensitivity_only, ""),
        ("c. loop, one draw per engine call (500, extrapolated)", looped,
         f">= 50x a: {looped / engine:.0f}x"),
        ("d. labfinance run --json - (fresh Python, 10,000 draws)", cli_wall, "< 1.5 s"),
        ("e. labfinance import BOOK.xlsx, 3 edits (fresh Python)", import_wall, ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'seconds':>8}  target")
    for label, seconds, target in rows:
        print(f"{label.ljust(width)}  {seconds:8.3f}  {target}")


if __name__ == "__main__":
    main()
