"""A pytest plugin (``-p tests.reference_only``): only the tests reading the reference set.

Used by ``test_reference_sets.py`` to run the conformance tests against another set quickly.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep = [i for i in items if "reference_dir" in getattr(i, "fixturenames", ())]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep
