"""Issue 11: values on a MISP warninglist, or marked a false positive by an operator, count for
no correlation, no ``sectors_sharing_indicator`` and no anomaly feature, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from detection import anomaly, correlation
from ncert.actor import Actor
from ncert.db import transaction, utcnow
from ncert.errors import Forbidden, Invalid, NotFound
from ncert.models import Incident
from ncert.services import false_positives, playbook_runs

C2 = {"type": "ipv4-addr", "value": "198.51.100.77"}  # a documentation address: on no list
RESOLVER = {"type": "ipv4-addr", "value": "8.8.8.8"}  # public-dns-v4
EMPTY_FILE = {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}  # empty-hashes


def _reports(world, *indicators) -> list[Incident]:
    """The same indicators reported by GridCo (energy) and the central bank (finance)."""
    refs = [world.submit(world.actor(who), title="Beacon", indicators=list(indicators))
            for who in ("analyst@gridco.test", "analyst@centralbank.test")]
    with world.runtime.sessions() as s:
        return list(s.scalars(select(Incident).where(Incident.reference.in_(refs)).order_by(Incident.id)))


def _national(world) -> Actor:
    return world.operator


def _correlated(world, batch) -> set[str]:
    from ncert.models import Indicator

    with world.runtime.sessions() as s:
        found = correlation.correlate(s, _national(world), batch, utcnow(), max_incidents=100)
        return {s.get(Indicator, c.indicator_id).value for c in found}


def test_warninglisted_values_never_correlate_nor_make_a_report_cross_sector(world):
    batch = _reports(world, C2, RESOLVER, EMPTY_FILE)
    assert _correlated(world, batch) == {C2["value"]}
    only_benign = _reports(world, RESOLVER, EMPTY_FILE)
    assert _correlated(world, only_benign) == set()
    with world.runtime.sessions() as s:
        sharing = playbook_runs.sectors_sharing(s, _national(world), [i.id for i in only_benign], utcnow())
    assert sharing == {}


def test_a_false_positive_stops_correlating_until_it_is_cleared(world):
    batch = _reports(world, C2)
    with transaction(world.runtime.sessions) as s:
        false_positives.mark(s, world.operator, "ipv4-addr", C2["value"], "the lab's own scanner")
    assert _correlated(world, batch) == set()
    with transaction(world.runtime.sessions) as s:
        false_positives.clear(s, world.operator, "ipv4-addr", C2["value"])
    assert _correlated(world, batch) == {C2["value"]}


def test_anomaly_features_count_only_the_values_that_mean_something(world):
    [report, _] = _reports(world, C2, RESOLVER, EMPTY_FILE)
    with world.runtime.sessions() as s:
        [row] = anomaly.rows(s, _national(world), [Incident.id == report.id])
    assert (row.indicators, row.sightings) == (1, 1)


def test_only_operators_mark_and_only_with_a_reason_for_a_known_value(world):
    _reports(world, C2)
    with transaction(world.runtime.sessions) as s:
        with pytest.raises(Forbidden):
            false_positives.mark(s, world.actor("analyst@gridco.test"), "ipv4-addr", C2["value"], "ours")
        with pytest.raises(Forbidden):
            false_positives.mark(s, world.actor("leader@ncert.test"), "ipv4-addr", C2["value"], "ours")
        with pytest.raises(Invalid):
            false_positives.mark(s, world.operator, "ipv4-addr", C2["value"], "  ")
        with pytest.raises(NotFound):
            false_positives.mark(s, world.operator, "ipv4-addr", "198.51.100.78", "never reported")
