"""The command line's basic promises: validate, schema, new, help (workbook-and-cli.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from labfinance.cli import main
from labfinance.model.loader import load

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("templates/*.yaml")])
TEMPLATES = sorted(p.stem for p in ROOT.glob("templates/*.yaml"))
PACKAGE_TEMPLATES = ROOT / "src" / "labfinance" / "templates"


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


def _schema() -> dict[str, Any]:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    return json.loads(result.stdout)


def _json_keys(value: Any) -> Any:
    """YAML schedules are keyed by int years; JSON keys are strings."""
    if isinstance(value, dict):
        return {str(k): _json_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_keys(v) for v in value]
    return value


# ----------------------------------------------------------------------------- validate


def test_there_are_examples_and_templates():
    assert len(list(ROOT.glob("scenarios/*.yaml"))) >= 2
    assert TEMPLATES


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_validate_says_ok_for_every_example_and_template(path):
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{path}: ok\n", "")


def test_validate_all_examples_at_once():
    result = CliRunner().invoke(main, ["validate", *map(str, EXAMPLES)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"{p}: ok" for p in EXAMPLES]


def test_validate_a_mix_exits_2_and_still_says_ok_for_the_good_file(monkeypatch):
    monkeypatch.chdir(ROOT)
    good, bad = "scenarios/burglary-predictor.yaml", "tests/broken/share-grant-rate.yaml"
    if not Path(good).exists():
        good = str(EXAMPLES[0].relative_to(ROOT))
    result = CliRunner().invoke(main, ["validate", bad, good])
    assert result.exit_code == 2
    assert result.stdout == f"{good}: ok\n"
    assert result.stderr == f"{bad}:16: funding.erdf.rate: must be between 0 and 1 (got 1.5)\n"


def test_validate_needs_a_file():
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------- schema


def test_schema_is_a_valid_json_schema():
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["labfinance", "name", "start_year", "years", "discount_rate",
                                  "stakeholders", "costs"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["discount_rate"]["description"]


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_every_example_validates_against_the_schema(path):
    validator = jsonschema.Draft202012Validator(_schema())
    document = _json_keys(yaml.safe_load(path.read_text(encoding="utf-8")))
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize(("name", "key"), [
    ("unknown-key-top.yaml", "inflaton"),
    ("unknown-key-payment.yaml", "advanse"),
    ("share-grant-rate.yaml", "rate"),
    ("type-string-for-number.yaml", "amount"),
    ("funding-type-unknown.yaml", "type"),
])
def test_the_schema_catches_what_an_editor_can(name, key):
    validator = jsonschema.Draft202012Validator(_schema())
    text = (ROOT / "tests" / "broken" / name).read_text(encoding="utf-8")
    errors = list(validator.iter_errors(_json_keys(yaml.safe_load(text))))
    assert errors
    assert any(key in e.message or key in map(str, e.absolute_path) for e in errors)


def test_the_committed_schema_file_is_up_to_date():
    committed = (ROOT / "labfinance.schema.json").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["schema"])
    assert committed == result.stdout, "run: labfinance schema > labfinance.schema.json"


def test_the_examples_point_editors_at_the_schema():
    for path in ROOT.glob("scenarios/*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../labfinance.schema.json", path


# ----------------------------------------------------------------------------- new


@pytest.mark.parametrize("template", TEMPLATES)
def test_new_writes_a_valid_scenario_named_after_the_file(template, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["new", "my-lab", "--template", template])
    assert result.exit_code == 0, result.output
    assert Path("my-lab.yaml").is_file()
    assert load("my-lab.yaml").scenario.name == "my-lab"
    check = CliRunner().invoke(main, ["validate", "my-lab.yaml"])
    assert (check.exit_code, check.stdout) == (0, "my-lab.yaml: ok\n")


def test_new_refuses_to_overwrite_without_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("mine.yaml").write_text("# my own edits\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["new", "mine", "--template", TEMPLATES[0]])
    assert result.exit_code == 2
    assert "--force" in result.stderr
    assert "Traceback" not in result.output
    assert Path("mine.yaml").read_text(encoding="utf-8") == "# my own edits\n"
    forced = CliRunner().invoke(main, ["new", "mine", "--template", TEMPLATES[0], "--force"])
    assert forced.exit_code == 0
    assert load("mine.yaml").scenario.name == "mine"


def test_new_with_an_unknown_template_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["new", "x", "--template", "no-such-template"])
    assert result.exit_code == 2
    known = ", ".join(TEMPLATES)
    assert result.stderr == f"--template: no template 'no-such-template' (known: {known})\n"
    assert list(tmp_path.iterdir()) == []


def test_the_package_ships_the_templates_of_the_repository():
    shipped = {p.name: p.read_text(encoding="utf-8") for p in PACKAGE_TEMPLATES.glob("*.yaml")}
    ours = {p.name: p.read_text(encoding="utf-8") for p in ROOT.glob("templates/*.yaml")}
    assert shipped == ours


# ----------------------------------------------------------------------------- help


COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    text = main.commands[command].help
    assert text
    assert " ".join(text.split()[:5]) in " ".join(result.stdout.split())  # click wraps lines
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"labfinance {command}" in readme


def test_the_commands_of_the_spec_exist():
    assert {"validate", "run", "compare", "new", "schema"} <= set(COMMANDS)


def test_python_dash_m_labfinance_works():
    done = subprocess.run([sys.executable, "-m", "labfinance", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    assert "Usage:" in done.stdout
    for command in COMMANDS:
        assert command in done.stdout


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert version("labfinance") in result.stdout


def test_the_command_keeps_freed_memory_where_the_c_library_allows(monkeypatch):
    # glibc (Linux) has mallopt: the command asks it to keep freed memory for the next chunk of
    # draws. A C library without it (macOS, Windows) keeps its defaults, and nothing fails.
    import ctypes

    from labfinance import cli

    try:
        has_mallopt = hasattr(ctypes.CDLL(None), "mallopt")
    except (OSError, TypeError):  # Windows: no C library by that name
        has_mallopt = False
    assert cli.keep_freed_memory() is has_mallopt

    class NoMallopt:
        def __init__(self, name):
            pass

    monkeypatch.setattr(cli.ctypes, "CDLL", NoMallopt)
    assert cli.keep_freed_memory() is False
