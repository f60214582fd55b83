"""Scaling of a run along the axes a real programme grows: ``python bench/scaling.py``.

Measures the "Done when" list of issue 12, each in this one run, in fresh Pythons (so start-up,
imports and peak memory are those a user sees):

1. ``labfinance run FILE --json`` (base case, variants, tornado, switching values, 10,000 draws)
   on 2,000 cost lines with 200 uncertain lines (400 uncertain parameters), against the largest
   example (target: at most 3x its wall time); and its workbook, as time per formula cell against
   the largest example's (target: at most 3x);
2. peak memory (``ru_maxrss``) of the tornado and switching values on those 400 parameters, and of
   1,000,000 Monte Carlo draws of the largest example stretched to 100 years (target: 500 MB
   each);
3. ``run --json`` with 100,000 draws against 1,000 draws on the largest example (target: 1.5x);
4. 100,000 Monte Carlo draws in a script that imports numpy before labfinance, against one that
   imports labfinance first, BLAS threads left to their defaults (target: the same figures).

Fresh Pythons start from cached bytecode, as an installed labfinance does. Timings are the
median of ``--repeat`` runs, wall and CPU (user + system) side by side: the
development machine is shared, so wall time swings with other load while CPU time does not.
The scenarios come from ``bench/scale.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def fresh(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run ``python args`` in a fresh process: (wall seconds, CPU seconds, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True,
                          cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def median_run(repeat: int, args: list[str], env: dict[str, str] | None = None
               ) -> tuple[float, float]:
    runs = [fresh(args, env) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


# Each of these runs in its own Python and prints one JSON line.
WORKBOOK = """
import json, sys, time, zipfile, re
from labfinance.model.loader import load
from labfinance.analysis.run import analyse
from labfinance.outputs.excel import write_workbook
loaded = load(sys.argv[1])
analysis = analyse(loaded, loaded.scenario, draws=10_000, seed=1)
wall, cpu = time.perf_counter(), time.process_time()
write_workbook(analysis, sys.argv[2])
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
with zipfile.ZipFile(sys.argv[2]) as book:
    formulas = sum(len(re.findall(rb"<f>", book.read(n))) for n in book.namelist()
                   if n.startswith("xl/worksheets/"))
print(json.dumps({"wall": wall, "cpu": cpu, "formulas": formulas}))
"""

SENSITIVITY_MEMORY = """
import json, resource, sys
from labfinance.model.loader import load
from labfinance.analysis.distributions import uncertain_parameters
from labfinance.analysis.sensitivity import sensitivity
from labfinance.model.parameters import numeric_parameters
s = load(sys.argv[1]).scenario
base = numeric_parameters(s)
params, _ = uncertain_parameters(s, {}, base)
sensitivity(s, params, base)
print(json.dumps({"parameters": len(params),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

MONTE_CARLO = """
import json, resource, sys, time
{first}
from labfinance.model.loader import load
from labfinance.analysis.distributions import uncertain_parameters
from labfinance.analysis.montecarlo import simulate
from labfinance.model.parameters import numeric_parameters
s = load(sys.argv[1]).scenario
base = numeric_parameters(s)
params, _ = uncertain_parameters(s, {{}}, base)
wall, cpu = time.perf_counter(), time.process_time()
simulate(s, params, draws=int(sys.argv[2]), seed=1)
print(json.dumps({{"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def one_json(args: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    result: dict[str, float] = json.loads(fresh(args, env)[2].strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-million", action="store_true",
                        help="skip the 100-year, 1,000,000-draw memory run (minutes)")
    args = parser.parse_args()
    scale.as_a_user_runs()
    example = scale.EXAMPLE
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines = scale.write(scale.many_lines(2_000, 200), folder / "lines-2000.yaml")
        years = scale.write(scale.long_horizon(100), folder / "years-100.yaml")
        out = str(folder / "out.json")

        def run_json(path: Path, draws: int) -> tuple[float, float]:
            return median_run(args.repeat, ["-m", "labfinance", "run", str(path), "--json", out,
                                            "--force", "--draws", str(draws)])

        small_wall, small_cpu = run_json(example, 10_000)
        big_wall, big_cpu = run_json(lines, 10_000)
        rows.append(("1. run --json, 10,000 draws: largest example", f"{small_wall:.2f} s wall, "
                     f"{small_cpu:.2f} s CPU", ""))
        rows.append(("   2,000 cost lines, 400 uncertain parameters", f"{big_wall:.2f} s wall, "
                     f"{big_cpu:.2f} s CPU", f"{big_wall / small_wall:.1f}x wall, "
                     f"{big_cpu / small_cpu:.1f}x CPU (target <= 3x)"))

        books = {}
        for name, path in (("example", example), ("lines", lines)):
            measured = [one_json(["-c", WORKBOOK, str(path), str(folder / f"{name}.xlsx")])
                        for _ in range(args.repeat)]
            books[name] = {k: statistics.median(m[k] for m in measured) for k in measured[0]}
        per_cell = {n: b["wall"] / b["formulas"] * 1e6 for n, b in books.items()}
        per_cell_cpu = {n: b["cpu"] / b["formulas"] * 1e6 for n, b in books.items()}
        rows.append(("   workbook, largest example", f"{books['example']['formulas']:,.0f} formulas"
                     f", {per_cell['example']:.0f} µs wall ({per_cell_cpu['example']:.0f} CPU) "
                     "each", ""))
        rows.append(("   workbook, 2,000 cost lines", f"{books['lines']['formulas']:,.0f} "
                     f"formulas, {per_cell['lines']:.0f} µs wall "
                     f"({per_cell_cpu['lines']:.0f} CPU) each",
                     f"{per_cell['lines'] / per_cell['example']:.1f}x wall, "
                     f"{per_cell_cpu['lines'] / per_cell_cpu['example']:.1f}x CPU per formula "
                     "(target <= 3x)"))

        memory = one_json(["-c", SENSITIVITY_MEMORY, str(lines)])
        rows.append((f"2. tornado + switching values, {memory['parameters']:.0f} uncertain "
                     "parameters", f"{memory['peak_mb']:.0f} MB peak", "target <= 500 MB"))
        if not args.skip_million:
            million = one_json(["-c", MONTE_CARLO.format(first=""), str(years), "1000000"])
            rows.append(("   Monte Carlo, 100 years x 1,000,000 draws", f"{million['peak_mb']:.0f}"
                         f" MB peak ({million['wall']:.0f} s wall, {million['cpu']:.0f} s CPU)",
                         "target <= 500 MB"))

        many_wall, many_cpu = run_json(example, 100_000)
        few_wall, few_cpu = run_json(example, 1_000)
        rows.append(("3. run --json, largest example: 1,000 draws", f"{few_wall:.2f} s wall, "
                     f"{few_cpu:.2f} s CPU", ""))
        rows.append(("   100,000 draws", f"{many_wall:.2f} s wall, {many_cpu:.2f} s CPU",
                     f"{many_wall / few_wall:.2f}x wall, {many_cpu / few_cpu:.2f}x CPU "
                     "(target <= 1.5x)"))

        clean = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
        order = {}
        for first in ("import numpy", "import labfinance"):
            measured = [one_json(["-c", MONTE_CARLO.format(first=first), str(example), "100000"],
                                 clean) for _ in range(args.repeat)]
            order[first] = {k: statistics.median(m[k] for m in measured) for k in ("wall", "cpu")}
        a, b = order["import numpy"], order["import labfinance"]
        rows.append(("4. Monte Carlo 100,000: numpy imported first", f"{a['wall']:.2f} s wall, "
                     f"{a['cpu']:.2f} s CPU", ""))
        rows.append(("   labfinance imported first",
                     f"{b['wall']:.2f} s wall, {b['cpu']:.2f} s CPU",
                     f"{a['wall'] / b['wall']:.2f}x wall, {a['cpu'] / b['cpu']:.2f}x CPU "
                     "(target: the same)"))

    load = os.getloadavg()
    print(f"load average while measuring: {load[0]:.1f} (1 min), {load[2]:.1f} (15 min); "
          f"{os.cpu_count()} cores; median of {args.repeat} runs")
    width = max(len(r[0]) for r in rows)
    for label, value, ratio in rows:
        print(f"{label.ljust(width)}  {value}  {ratio}".rstrip())


if __name__ == "__main__":
    main()
