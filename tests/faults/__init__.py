"""Fault tests: hostile clients, devices and files, driven by hypothesis.

The one test folder that cuts across the package. Every property runs with :data:`FAULTS`, so a
run is bounded and repeatable: the same examples in the same order on every machine, nothing
remembered between runs.
"""

from hypothesis import settings

FAULTS = settings(max_examples=200, deadline=None, derandomize=True, database=None)
