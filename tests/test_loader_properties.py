"""Whatever a user does to a valid scenario file, the loader answers with located messages.

Hypothesis takes the example scenarios and templates, breaks them (a key deleted or misspelt, a
value of the wrong type, an out-of-range number, an unknown id, a random string, characters deleted
or inserted in the text) and loads the result. The loader either accepts the file or raises
:class:`ScenarioError` whose every message is ``FILE:LINE: ...`` with LINE inside the file, in line
order, in the user's words; it never raises anything else.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labfinance.model.loader import ScenarioError, load, with_overrides

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("templates/*.yaml")])
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLES}
DATA = {name: yaml.safe_load(text) for name, text in TEXTS.items()}

TOML_TEXT = """\
labfinance = 1
name = "Small"
start_year = 2026
years = 5
discount_rate = 0.03

[stakeholders.city]
name = "City"
kind = "municipality"

[[costs]]
id = "cameras"
category = "capex"
amount = 100000
year = 2026

[costs.schedule]

[[funding]]
id = "erdf"
type = "grant"
rate = 0.4
payment = { advance = 0.2, retention = 0.1 }

[uncertainty."costs.cameras.amount"]
dist = "triangular"
low = 80000
mode = 100000
high = 150000
"""

LOCATED = re.compile(r"^[^:]+:(\d+): \S")
UNLOCATED = re.compile(r"^[^:]+: (no such file|is a folder, not a scenario file|cannot be read "
                       r"\(.*\)|a scenario file ends in \.yaml, \.yml or \.toml.*)$")
# a discriminated union's tag is no part of a path a user writes: funding.erdf.rate, not
# funding.erdf.grant.rate
TAG_IN_PATH = re.compile(r":\d+: funding\.[^.: ]+\.(contribution|revenue|grant|in_kind|loan|"
                         r"outcome_payment)[.:]")
JARGON = ("Input should", "function-after", "[key]", "dict[", "literal[", "Field required",
          "Extra inputs", "Value error", "validation error", "Traceback")

WRONG_TYPES = ([], {}, "text", True, None, [1, 2], {"a": 1}, "2026-01-01")
OUT_OF_RANGE = (-1, -1.5, -0.01, 1.5, 2, 0, 101, 1899, -10**9, 10**12, 1e308, math.inf, math.nan)
CORRUPTION = st.text(alphabet=st.sampled_from(list("abz019:-_ .,\n\t[]{}&*!|>'\"#%@`\\")),
                     min_size=1, max_size=6)


def _locations(node: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in a parsed document, containers and leaves."""
    found = [loc] if loc else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _locations(value, loc + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _locations(value, loc + (i,))
    return found


LOCATIONS = {name: _locations(data) for name, data in DATA.items()}


def _container(data: Any, loc: tuple[Any, ...]) -> Any:
    for key in loc[:-1]:
        data = data[key]
    return data


@st.composite
def broken_files(draw: st.DrawFn) -> tuple[str, str]:
    """(suffix, text) of a damaged scenario."""
    if draw(st.integers(0, 9)) == 0:
        name, text, suffix = "toml", TOML_TEXT, ".toml"
    else:
        name = draw(st.sampled_from(sorted(TEXTS)))
        text, suffix = TEXTS[name], ".yaml"
    mutation = draw(st.sampled_from(["delete", "rename", "wrong_type", "out_of_range",
                                     "reference", "random_string", "corrupt_text"]))
    if suffix == ".toml" or mutation == "corrupt_text":
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(text)))
            if draw(st.booleans()):
                text = text[:at] + text[at + draw(st.integers(1, 20)):]
            else:
                text = text[:at] + draw(CORRUPTION) + text[at:]
        return suffix, text
    data = copy.deepcopy(DATA[name])
    loc = draw(st.sampled_from(LOCATIONS[name]))
    parent, key = _container(data, loc), loc[-1]
    if mutation == "delete":
        del parent[key]
    elif mutation == "rename" and isinstance(parent, dict):
        parent[str(key)[:-1] + draw(st.sampled_from("xse_"))] = parent.pop(key)
    elif mutation == "wrong_type":
        parent[key] = draw(st.sampled_from(WRONG_TYPES))
    elif mutation == "out_of_range":
        parent[key] = draw(st.sampled_from(OUT_OF_RANGE) | st.floats(allow_nan=False))
    elif mutation == "reference":
        parent[key] = draw(st.sampled_from(["no_such_id", "capex", "city", "base", ""]))
    else:
        parent[key] = draw(st.text(max_size=12))
    return suffix, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutants")


def test_there_are_examples_to_break():
    assert len(EXAMPLES) >= 2


@settings(suppress_health_check=[HealthCheck.too_slow])  # examples: tests/conftest.py
@given(broken=broken_files())
def test_a_broken_file_gives_located_messages_and_nothing_else(broken, folder):
    suffix, text = broken
    path = folder / f"mutant{suffix}"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = load(path)
    except ScenarioError as error:
        assert error.messages
        last_line = text.count("\n") + 1
        lines = []
        for message in error.messages:
            assert message.startswith(f"{path}:")
            for word in JARGON:
                assert word not in message
            assert not TAG_IN_PATH.search(message), message
            located = LOCATED.match(message)
            assert located or UNLOCATED.match(message), message
            if located:
                lines.append(int(located.group(1)))
                assert 1 <= lines[-1] <= last_line, message
        assert lines == sorted(lines)
        return
    for variant in loaded.scenario.variants:  # a variant's overrides together may still clash
        try:
            with_overrides(loaded, variant)
        except ScenarioError as error:
            assert all(m.startswith(f"--variant {variant}: ") for m in error.messages)
