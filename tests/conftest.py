"""Hypothesis profiles: ``dev`` for the development loop, ``ci`` for continuous integration.

``CI=true`` (set by .ci/run) selects ``ci``; ``TEST_PROFILE=ci|dev`` chooses (helpers.profile).
The profile sets how many examples each property test draws; tests set only what is their own (a
health check that a slow strategy trips). ``ci`` draws 200, the most any property test asked for
before the profiles existed, so no test is weaker in CI; ``dev`` draws 25 to keep the fast loop
(``pytest -m "not libreoffice"``) quick. Neither has a deadline: the first call in a process
imports numpy and scipy, and a timing-dependent failure is not a finding.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

from examples import ExampleBooks
from helpers import profile

settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(profile())


@pytest.fixture(scope="session")
def example_workbooks(tmp_path_factory: pytest.TempPathFactory) -> ExampleBooks:
    """The examples' workbooks, written once per session (tests/examples.py)."""
    return ExampleBooks(tmp_path_factory.mktemp("example-books"))

