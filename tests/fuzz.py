"""A mutation fuzzer over the example scenarios and templates, through the whole command line.

Each case takes an example, breaks it once or a few times (a key deleted or misspelt, a value of
the wrong type, an extreme number, a huge or control-laden text, an unknown id, a variant or
uncertainty range with extreme values, YAML 1.1 number forms, tags, characters deleted or
inserted), writes it, and runs ``labfinance run`` on it with a workbook and JSON (few Monte Carlo
draws). The promise: exit 0 or 2, never 1 (an internal error), never a traceback; a run that fails
leaves no output file. Cases come from ``random.Random(seed)``, so a seed and a count name the same
cases on every machine.

By hand: ``python tests/fuzz.py 5000`` (seed 11) prints the count of each exit status and every
case that broke the promise, with its text saved under ``fuzz-failures/``.
"""

from __future__ import annotations

import contextlib
import copy
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from labfinance.cli import main

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("templates/*.yaml")])
DATA = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES}
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLES}

EXTREME = [0, -0.0, 1, -1, 0.5, 1 - 1e-16, 1 + 1e-12, -0.999999, 2, 100, 101, 1000, 1001,
           999_999_999_999_999, 1e15, 1.000001e15, 1e16, 1e36, 1e300, -1e300, 1e-300, 5e-324,
           2 ** 31, 2 ** 63, 10 ** 19, 10 ** 25, 1899, 2500, 2501, 9999, 10000, -2026,
           ".inf", "-.inf", ".nan", "1e400", "010", "0x1F", "0o17", "1_000", "1:20", "yes", "~",
           "", " ", "12,5", "15%", "2026-02-30", "1e5"]
WRONG = [[], {}, "text", True, None, [1, 2], {"a": 1}, [[[]]], "\x1b[31m", "\u202e", "x" * 300]
IDS = ["no_such_id", "capex", "city", "base", "", "A B", "cameras", "residents"]
DISTS = ["triangular", "pert", "uniform", "normal", "beta"]
PATHS = ["discount_rate", "inflation", "years", "start_year", "contingency",
         "costs.{cost}.amount", "costs.{cost}.escalation", "costs.{cost}.life",
         "funding.{fund}.rate", "funding.{fund}.payment.lag", "funding.{fund}.lag",
         "funding.{fund}.probability", "benefits.{benefit}.quantity",
         "benefits.{benefit}.ramp_up.0", "benefits.{benefit}.drop_off", "nothing.here"]
CORRUPT = list("abz019:-_ .,\n\t[]{}&*!|>'\"#%@`\\") + ["\x00", "\x1b", "\ud800", "\u0085",
                                                         "!!binary ", "!!python/tuple ", "<<: "]


def _locations(node: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [loc] if loc else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _locations(value, loc + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _locations(value, loc + (i,))
    return found


def _ids(data: dict[str, Any], section: str) -> list[str]:
    items = data.get(section)
    return [i.get("id") for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _value(rng: random.Random) -> Any:
    pool = rng.choice([EXTREME, EXTREME, WRONG, IDS])
    value = rng.choice(pool)
    if isinstance(value, str) and value and value[0] in ".-0123456789~y" and pool is EXTREME:
        return _Plain(value)  # written unquoted, as a user types it
    return copy.deepcopy(value)


class _Plain(str):
    """A scalar written as typed, unquoted (``010``, ``.inf``), to test how it is read."""


def _dump(data: Any) -> str:
    class Dumper(yaml.SafeDumper):
        pass

    def plain(dumper: yaml.SafeDumper, value: _Plain) -> yaml.ScalarNode:
        # the tag PyYAML itself resolves the text to, so that the emitter writes it unquoted
        tag = dumper.resolve(yaml.ScalarNode, str(value), (True, False))
        return dumper.represent_scalar(tag, str(value))

    Dumper.add_representer(_Plain, plain)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1000)


def _mutate_data(rng: random.Random, data: dict[str, Any]) -> None:
    kind = rng.choice(["delete", "rename", "value", "value", "value", "reference", "duplicate",
                       "uncertainty", "variant", "lag", "text"])
    locs = _locations(data)
    loc = rng.choice(locs)
    parent: Any = data
    for key in loc[:-1]:
        parent = parent[key]
    key = loc[-1]
    if kind == "delete":
        del parent[key]
    elif kind == "rename" and isinstance(parent, dict):
        parent[str(key)[:-1] + rng.choice("xse_")] = parent.pop(key)
    elif kind == "reference":
        parent[key] = rng.choice(IDS)
    elif kind == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    elif kind == "uncertainty":
        path = rng.choice(PATHS).format(cost=rng.choice(_ids(data, "costs") or ["x"]),
                                        fund=rng.choice(_ids(data, "funding") or ["x"]),
                                        benefit=rng.choice(_ids(data, "benefits") or ["x"]))
        dist: dict[str, Any] = {"dist": rng.choice(DISTS)}
        for name in rng.sample(["low", "mode", "high", "mean", "sd"], rng.randint(1, 5)):
            dist[name] = rng.choice([_value(rng), rng.uniform(-2, 2), rng.uniform(0, 1e6)])
        data.setdefault("uncertainty", {})
        if isinstance(data["uncertainty"], dict):
            data["uncertainty"][path] = dist
    elif kind == "variant":
        path = rng.choice(PATHS).format(cost=rng.choice(_ids(data, "costs") or ["x"]),
                                        fund=rng.choice(_ids(data, "funding") or ["x"]),
                                        benefit=rng.choice(_ids(data, "benefits") or ["x"]))
        data.setdefault("variants", {})
        if isinstance(data["variants"], dict):
            data["variants"]["fuzz"] = {"set": {path: _value(rng)}}
    elif kind == "lag":
        parent[key] = rng.choice([100, 101, 16370, 10 ** 9, 99])
    elif kind == "text":
        parent[key] = rng.choice(["x" * rng.choice([201, 10_001, 40_000]), "a\x07b", "\u202e",
                                  "=1+1", "@SUM(A1)", "é" * 50])
    else:
        parent[key] = _value(rng)


def _mutate_text(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(text))
        if rng.random() < 0.5:
            text = text[:at] + text[at + rng.randint(1, 20):]
        else:
            text = text[:at] + "".join(rng.choice(CORRUPT) for _ in range(rng.randint(1, 4))) \
                + text[at:]
    return text


def mutant(rng: random.Random) -> tuple[str, str]:
    """(file name, text) of one broken example."""
    name = rng.choice(sorted(TEXTS))
    if rng.random() < 0.25:
        return name, _mutate_text(rng, TEXTS[name])
    data = copy.deepcopy(DATA[name])
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _mutate_data(rng, data)
    return name, _dump(data)


def run_case(folder: Path, text: str, *, draws: int = 25) -> tuple[int, str]:
    """Exit status and standard error of ``labfinance run`` on ``text``; checks the promise of
    all outputs or none and no temporary file left."""
    scenario = folder / "case.yaml"
    scenario.write_text(text, encoding="utf-8", errors="surrogatepass")
    for old in folder.glob("out.*"):
        old.unlink()
    result = CliRunner().invoke(main, ["run", str(scenario), "--draws", str(draws), "-o",
                                       str(folder / "out.xlsx"), "--json",
                                       str(folder / "out.json")])
    left = sorted(p.name for p in folder.iterdir() if p.name != "case.yaml")
    if result.exit_code == 0:
        assert left == ["out.json", "out.xlsx"], left
    else:
        assert left == [], left
    return result.exit_code, result.stderr


def broken(status: int, stderr: str) -> bool:
    return status not in (0, 2) or "internal error" in stderr or "Traceback" in stderr


def fuzz(count: int, seed: int = 11, progress: bool = False
         ) -> tuple[Counter[int], list[tuple[int, str, str, str]]]:
    """Run ``count`` cases; returns the exit statuses and the broken cases (number, example,
    standard error, text)."""
    rng = random.Random(seed)
    statuses: Counter[int] = Counter()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for number in range(count):
            name, text = mutant(rng)
            try:
                status, stderr = run_case(folder, text)
            except AssertionError as exc:
                status, stderr = -1, f"outputs: {exc}"
            statuses[status] += 1
            if broken(status, stderr):
                failures.append((number, name, stderr, text))
            if progress and (number + 1) % 100 == 0:
                print(f"{number + 1} cases: {dict(sorted(statuses.items()))}, "
                      f"{len(failures)} broken", flush=True)
    return statuses, failures


if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    found, bad = fuzz(total, seed, progress=True)
    print(f"{total} cases, seed {seed}: exit statuses {dict(sorted(found.items()))}")
    out = Path("fuzz-failures")
    for number, name, stderr, text in bad:
        out.mkdir(exist_ok=True)
        (out / f"case-{number}.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        print(f"case {number} ({name}): {stderr.strip()[-400:]}")
    print(f"{len(bad)} broken" if bad else "none broken")
    sys.exit(1 if bad else 0)
