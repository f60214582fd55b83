"""Compare the JSON results of the examples between two checkouts of labfinance.

Used for issue 15 (loans with grace and balloon; the EU decision amount): the JSON of the
examples must be the same apart from the keys the change adds. Run from the repository:

    git archive main | tar -x -C /tmp/base
    .venv/bin/python bench/compare_json.py /tmp/base/src src --draws 2000

Each example is run in a fresh process with each source tree first on ``PYTHONPATH``, with the
same seed and draws; the two documents are then compared key by key. Keys only in the new
document are listed as added (and must be the expected ones); anything else that differs is a
failure, as is a number that differs at all (no tolerance: same scenario, seed and engine maths).
``--relative 1e-12`` allows numbers to differ by that share of their size (or that much near
zero): for changes that compute the same quantities in another order (issue 12's speed work).
``--scenario`` adds files beyond the examples (the scale scenarios of ``bench/scale.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# keys the change may add: paths with list indices and ids replaced by *
ALLOWED = {"metrics.dic", "metrics.dnr", "lines.loans", "variants.*.dic", "variants.*.dnr",
           "monte_carlo.metrics.dic", "monte_carlo.metrics.dnr"}


def run(src: str, scenario: Path, draws: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
    done = subprocess.run([sys.executable, "-m", "labfinance", "run", str(scenario), "--json", "-",
                           "--draws", str(draws)], capture_output=True, text=True, env=env,
                          check=True, cwd=ROOT)
    return json.loads(done.stdout)


def walk(old: Any, new: Any, path: str, added: list[str], changed: list[str],
         relative: float = 0.0) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in new:
            where = f"{path}.{key}" if path else key
            if key not in old:
                added.append(where)
            else:
                walk(old[key], new[key], where, added, changed, relative)
        changed.extend(f"{path}.{key}: removed" for key in old if key not in new)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            walk(a, b, f"{path}[{i}]", added, changed, relative)
    elif (isinstance(old, float) and isinstance(new, float) and relative > 0
          and abs(old - new) <= relative * max(abs(old), abs(new), 1.0)):
        return
    elif old != new and not (path.endswith("labfinance_version")):
        changed.append(f"{path}: {old!r} -> {new!r}")


def allowed(path: str) -> bool:
    parts = path.split(".")
    return any(len(parts) == len(a.split(".")) and all(
        p == q or q == "*" for p, q in zip(parts, a.split("."), strict=True)) for a in ALLOWED)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("old_src")
    parser.add_argument("new_src")
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--relative", type=float, default=0.0)
    parser.add_argument("--scenario", type=Path, action="append", default=[])
    args = parser.parse_args()
    failed = False
    for scenario in [*sorted((ROOT / "scenarios").glob("*.yaml")), *args.scenario]:
        added: list[str] = []
        changed: list[str] = []
        walk(run(args.old_src, scenario, args.draws), run(args.new_src, scenario, args.draws),
             "", added, changed, args.relative)
        bad = [a for a in added if not allowed(a)]
        print(f"{scenario.name}: added {sorted(set(added))}; changed {len(changed)}")
        for line in changed[:20] + [f"not allowed: {a}" for a in bad]:
            print("   ", line)
        failed |= bool(changed or bad)
    print("FAILED" if failed else "same apart from the added keys")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
