"""Speed and memory of ``labfinance portfolio``: ``python bench/portfolio.py``.

Builds a portfolio of ``--files`` scenario files (default 100: the examples copied in turn, each
copy renamed so that every file has its own content, hence its own seed), then measures, each in a
fresh Python:

a. ``labfinance run LARGEST -o run.xlsx --draws N`` of the largest example (the unit);
b. ``labfinance portfolio FOLDER -o portfolio.xlsx --draws N [--jobs J]``, workbook written;

and prints their wall times, the ratio b / a (target: under 25) and the peak memory of b, summed
over the parent and its worker processes (sampled from /proc every 20 ms; Linux only).
Each timing is the best of ``--repeat`` runs (other work on the machine only slows a run down).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import largest_example  # noqa: E402


def make_portfolio(folder: Path, files: int) -> None:
    examples = sorted((ROOT / "scenarios").glob("*.yaml"))
    for i in range(files):
        source = examples[i % len(examples)]
        text = source.read_text(encoding="utf-8")
        # a copy with its own name: its own content, its own sha256, its own seed
        text = text.replace("\nname: ", f"\nname: Copy {i + 1:03d} of ", 1)
        (folder / f"{i + 1:03d}-{source.name}").write_text(text, encoding="utf-8")


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of ``pid`` and every process below it."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as children:
                    todo += [int(c) for c in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(command: list[str], cwd: Path) -> tuple[float, int, float]:
    """Wall time, peak memory (summed over the process tree) and CPU seconds (user + system, of
    every process of the tree) of ``command``."""
    peak = 0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, errors = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{errors.decode()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers count once waited for
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=None, help="default: the cores")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    largest = largest_example()
    exe = [sys.executable, "-m", "labfinance"]
    work = Path(tempfile.mkdtemp(prefix="labfinance-portfolio-bench-"))
    try:
        folder = work / "scenarios"
        folder.mkdir()
        make_portfolio(folder, args.files)
        run_cmd = [*exe, "run", str(largest), "-o", "run.xlsx", "--draws", str(args.draws),
                   "--force"]
        portfolio_cmd = [*exe, "portfolio", str(folder), "-o", "portfolio.xlsx", "--draws",
                         str(args.draws), "--force"]
        if args.jobs:
            portfolio_cmd += ["--jobs", str(args.jobs)]
        runs = [measure(run_cmd, work) for _ in range(args.repeat)]
        portfolios = [measure(portfolio_cmd, work) for _ in range(args.repeat)]
        run_wall = min(t for t, _, _ in runs)
        wall = min(t for t, _, _ in portfolios)
        peak = max(m for _, m, _ in portfolios)
        run_cpu = min(c for _, _, c in runs)
        cpu = min(c for _, _, c in portfolios)
        size = (work / "portfolio.xlsx").stat().st_size
        print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
        print(f"a. run {largest.name}, {args.draws:,} draws, workbook: {run_wall:.2f} s wall, "
              f"{run_cpu:.2f} s CPU, peak {max(m for _, m, _ in runs) / 2**20:.0f} MB")
        print(f"b. portfolio of {args.files} files, {args.draws:,} draws each, workbook "
              f"({size / 1024:.0f} kB): {wall:.2f} s wall ({wall / run_wall:.1f}x a; target "
              f"< 25x), {cpu:.2f} s CPU ({cpu / run_cpu:.1f}x a), peak {peak / 2**20:.0f} MB "
              "over all processes")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
