"""The input layer: a scenario file read, located and validated into a frozen :class:`Scenario`.

``reading`` (file -> raw data with the line of every key) -> ``loader`` (raw data -> validated
Scenario, with ``messages`` putting errors in the user's words and ``rules`` checking the whole
file) -> :class:`~labfinance.model.scenario.Scenario`. Nothing here imports the engine.
"""
