"""New event ids: random version 4 UUIDs, as API.md asks."""

from __future__ import annotations

import uuid

from chronicle.storage.grouping import new_ids


def test_new_ids_are_distinct_version_4_uuids_in_canonical_form():
    ids = list(new_ids(5000))
    assert len(set(ids)) == 5000
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


def test_no_ids_asked_for_none_made():
    assert list(new_ids(0)) == []
