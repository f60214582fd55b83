"""The architecture is checked, not described: imports follow the pipeline and form no cycle.

The layers contract (``[tool.importlinter]`` in pyproject.toml) says data flows one way,
model -> engine -> analysis -> outputs -> cli; this test runs it and also refuses any import cycle
between modules, function-level imports included (grimp reads every import statement).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def test_imports_follow_the_layers_of_the_pipeline():
    done = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_no_module_imports_one_that_imports_it_back():
    graph = grimp.build_graph("labfinance", exclude_type_checking_imports=True)
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported == module or not imported.startswith("labfinance"):
                continue
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append(" -> ".join((module, *back)))
    assert not cycles, "\n".join(cycles)
