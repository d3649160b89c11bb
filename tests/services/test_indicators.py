"""Indicator upsert: one row per (type, value), widened by every report."""

from datetime import datetime, timezone

from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Indicator
from ncert.records import IndicatorRecord
from ncert.services import indicators
from ncert.taxonomy import TLP


def at(day):
    return datetime(2026, 3, day, tzinfo=timezone.utc)


def rec(value, first, last, confidence=50):
    return IndicatorRecord(type="domain-name", value=value, first_seen=at(first), last_seen=at(last),
                           confidence=confidence)


def test_reports_widen_times_raise_confidence_and_relax_tlp(world):
    with transaction(world.runtime.sessions) as s:
        first = indicators.upsert(s, [rec("c2.example.org", 5, 6, 40), rec("C2.example.org.", 4, 5, 30)], TLP.RED)
    with transaction(world.runtime.sessions) as s:
        second = indicators.upsert(s, [rec("c2.example.org", 8, 9, 70), rec("other.example.org", 1, 1)], TLP.GREEN)
    with transaction(world.runtime.sessions) as s:
        indicators.upsert(s, [rec("c2.example.org", 7, 7, 10)], TLP.AMBER)  # narrower, lower, stricter: no change
    assert first[("domain-name", "c2.example.org")] == second[("domain-name", "c2.example.org")]
    with world.runtime.sessions() as s:
        row = s.scalars(select(Indicator).where(Indicator.value == "c2.example.org")).one()
        assert (row.first_seen, row.last_seen, row.confidence, row.tlp) == (at(4), at(9), 70, TLP.GREEN)
        assert len(s.scalars(select(Indicator)).all()) == 2
