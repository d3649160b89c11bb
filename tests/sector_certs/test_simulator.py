"""The traffic simulator: reproducible, rhythmic, sector-typical, with campaigns and executable lifecycles."""

from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from itertools import islice

import pytest

from ncert.records import IncidentRecord
from ncert.taxonomy import TLP, TRANSITIONS, Status
from sector_certs import registry
from sector_certs.simulator import LOCAL_TZ, simulate, surge

END = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sample():
    """A large stream: 20,000 reports over 12 weeks."""
    return list(simulate(seed=11, count=20_000, end=END, days=84))


def test_same_seed_same_stream_other_seed_other_stream():
    first = list(simulate(seed=5, count=400, end=END, days=30))
    assert first == list(simulate(seed=5, count=400, end=END, days=30))
    other = list(simulate(seed=6, count=400, end=END, days=30))
    assert [e.record.title for e in first] != [e.record.title for e in other]
    assert [e.reported_at for e in first] != [e.reported_at for e in other]


def test_stream_is_lazy_ordered_and_inside_the_window(sample):
    head = list(islice(simulate(seed=1, count=10**9, end=END, days=3650), 3))  # a billion would never fit in memory
    assert [e.seq for e in head] == [0, 1, 2]
    assert len(sample) == 20_000
    times = [e.reported_at for e in sample]
    assert times == sorted(times)
    assert END - timedelta(days=84) <= times[0] and times[-1] <= END


def test_records_are_valid_and_come_from_the_registry(sample):
    reg = registry.read()
    orgs = {o.slug for o in reg.organizations}
    sectors = {s.slug for s in reg.sectors}
    for event in sample[:2000]:
        record = event.record
        assert IncidentRecord.model_validate(record.model_dump()) == record
        assert record.reporter_org in orgs and record.sector in sectors
        assert set(record.affected_sectors) <= sectors
        assert record.occurred_at <= record.aware_at <= event.reported_at
        assert all(i.last_seen <= event.reported_at for i in record.indicators)
    assert {e.record.reporter_org for e in sample} >= {"national-cert", "energy-cert", "partner-de"}


def test_weekdays_and_business_hours_are_busier(sample):
    local = [e.reported_at.astimezone(LOCAL_TZ) for e in sample]
    days = Counter(t.date() for t in local)
    weekday = [n for d, n in days.items() if d.weekday() < 5]
    weekend = [n for d, n in days.items() if d.weekday() >= 5]
    assert sum(weekday) / len(weekday) > 2 * sum(weekend) / len(weekend)
    hours = Counter(t.hour for t in local)
    assert min(hours[h] for h in range(9, 17)) > 4 * max(hours[h] for h in range(0, 5))


def _share(sample, sector, predicate):
    events = [e for e in sample if e.record.sector == sector]
    return sum(predicate(e.record.category.rsit_class, e.record.category.type) for e in events) / len(events)


def test_category_mix_is_typical_of_the_sector(sample):
    fraud = lambda c, t: c == "fraud"  # noqa: E731
    assert _share(sample, "banking", fraud) > 2 * _share(sample, "energy", fraud)
    probing = lambda c, t: c in ("intrusion-attempts", "information-gathering", "vulnerable")  # noqa: E731
    assert _share(sample, "energy", probing) > 2 * _share(sample, "banking", probing)
    ddos = lambda c, t: t == "ddos"  # noqa: E731
    assert _share(sample, "government", ddos) > 3 * _share(sample, "health", ddos)
    harm = lambda c, t: t == "infected-system" or c == "information-content-security"  # noqa: E731
    assert _share(sample, "health", harm) > 2 * _share(sample, "banking", harm)


def test_campaign_indicators_recur_across_sectors_within_days(sample):
    seen: dict[tuple[str, str], list] = defaultdict(list)
    for e in sample:
        for i in e.record.indicators:
            seen[(i.type, i.value)].append(e)
    spread = {key: events for key, events in seen.items()
              if len({e.record.sector for e in events}) >= 3
              and events[-1].reported_at - events[0].reported_at <= timedelta(days=10)}
    assert len(spread) >= 20
    assert all(any(e.campaign for e in events) for events in spread.values())
    assert {"ipv4-addr", "domain-name", "url", "sha256"} <= {key[0] for key in spread}
    one_off = [key for key, events in seen.items() if all(e.campaign is None for e in events)]
    assert sum(len(seen[key]) > 1 for key in one_off) < 0.03 * len(one_off)  # unrelated reports rarely collide


def test_tlp_and_severity_distributions(sample):
    tlp = Counter(e.record.tlp for e in sample)
    assert set(tlp) == set(TLP)
    assert tlp[TLP.AMBER] + tlp[TLP.GREEN] > 0.6 * len(sample)
    assert tlp[TLP.RED] < tlp[TLP.AMBER_STRICT] < tlp[TLP.GREEN]
    severity = Counter(e.record.severity for e in sample)
    assert set(severity) == set(range(6))
    assert severity[5] < severity[4] < severity[2] and severity[5] < 0.05 * len(sample)


def test_lifecycles_are_legal_and_reach_every_status(sample):
    assert {e.lifecycle.final for e in sample} == set(Status)
    for e in sample:
        status = Status.NEW
        steps = e.lifecycle.steps
        assert [s.at for s in steps] == sorted(s.at for s in steps)
        assert all(e.reported_at <= s.at <= END for s in steps)
        for step in steps:
            assert status is not Status.MERGED and status is not Status.CLOSED
            if step.action in ("triage", "status"):
                assert step.status in TRANSITIONS[status], (e.seq, status, step.status)
                status = step.status
            elif step.action == "merge":
                status = Status.MERGED
        assert status is e.lifecycle.final


def test_duplicates_merge_into_an_earlier_open_incident_sharing_indicators(sample):
    by_seq = {e.seq: e for e in sample}
    duplicates = [e for e in sample if e.lifecycle.duplicate_of is not None]
    assert len(duplicates) >= 100
    for dup in duplicates:
        original = by_seq[dup.lifecycle.duplicate_of]
        merge_at = next(s.at for s in dup.lifecycle.steps if s.action == "merge")
        assert original.reported_at <= dup.reported_at and original.lifecycle.duplicate_of is None
        shared = {(i.type, i.value) for i in original.record.indicators}
        assert {(i.type, i.value) for i in dup.record.indicators} <= shared
        closed = [s.at for s in original.lifecycle.steps if s.status is Status.CLOSED]
        assert not closed or closed[0] > merge_at


def test_a_surge_is_one_category_from_one_sector_inside_its_window_and_reproducible():
    start = END - timedelta(days=3)
    wave = surge(seed=3, sector="health", category="malicious-code/infected-system", start=start, count=25,
                 hours=6, first_seq=10_000)
    assert [e.seq for e in wave] == list(range(10_000, 10_025))
    assert all(start <= e.reported_at <= start + timedelta(hours=6) for e in wave)
    assert [e.reported_at for e in wave] == sorted(e.reported_at for e in wave)
    assert {(e.record.sector, e.record.category.rsit_class, e.record.category.type) for e in wave} == {
        ("health", "malicious-code", "infected-system")}
    assert len({e.record.reporter_org for e in wave}) > 1  # the sector's organisations, not one of them
    assert wave == surge(seed=3, sector="health", category="malicious-code/infected-system", start=start, count=25,
                         hours=6, first_seq=10_000)
    with pytest.raises(ValueError, match="no organisation reports for sector"):
        surge(seed=3, sector="nowhere", category="fraud/phishing", start=start, count=1, hours=1, first_seq=0)
