"""The JSON Schema of the scenario format, for editors (yaml-language-server)."""

from __future__ import annotations

from typing import Any

from labfinance.scenario import Scenario


def scenario_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "labfinance.schema.json",
        "title": "labfinance scenario (format version 1)",
        **schema,
    }
