"""The differential helper itself: it must catch a difference and forgive only ids, references and times."""

from __future__ import annotations

import pytest

from tests.differential import Differential, normalise

PROBE = Differential(secret="203.0.113.66", control="203.0.113.67")


def test_identical_views_pass_once_own_ids_references_and_times_are_set_aside():
    answers = {
        "203.0.113.66": {"id": 7, "reference": "NC-2026-000007", "reported_at": "2026-11-27T10:00:01Z",
                         "indicators": [{"value": "203.0.113.66", "confidence": 50}]},
        "203.0.113.67": {"id": 8, "reference": "NC-2026-000008", "reported_at": "2026-11-27T10:00:02.5+00:00",
                         "indicators": [{"value": "203.0.113.67", "confidence": 50}]},
    }
    PROBE.assert_same(answers.__getitem__)


@pytest.mark.parametrize("leak", [
    {"confidence": 90},  # an aggregated fact
    {"severity": 3},  # a playbook raised it
    {"timeline": ["playbook cross-sector fired"]},  # a side effect
])
def test_a_derived_difference_fails(leak):
    base = {"confidence": 50, "severity": 2, "timeline": []}
    answers = {"203.0.113.66": {**base, **leak}, "203.0.113.67": base}
    with pytest.raises(AssertionError, match="depends on a report it cannot see"):
        PROBE.assert_same(answers.__getitem__)


def test_html_csrf_tokens_and_id_paths_are_placeholders():
    page = '<input name="csrf_token" type="hidden" value="abc123"><a href="/incidents/NC-2026-000001">x</a>'
    other = '<input name="csrf_token" type="hidden" value="zzz999"><a href="/incidents/NC-2026-000002">x</a>'
    assert normalise(page, ()) == normalise(other, ())
    assert normalise("/api/v1/tasks/12", ()) == normalise("/api/v1/tasks/13", ())
