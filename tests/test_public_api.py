"""The package's public surface is exactly ``chronicle.__all__``."""

from __future__ import annotations

import types

import chronicle


def test_all_names_exist_and_are_exported():
    assert sorted(chronicle.__all__) == chronicle.__all__
    for name in chronicle.__all__:
        assert hasattr(chronicle, name), name
    public = {
        name
        for name, value in vars(chronicle).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert public == set(chronicle.__all__) - {"__version__"}
