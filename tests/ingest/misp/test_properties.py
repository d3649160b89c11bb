"""Properties: any event PyMISP builds maps to a record; rendered events map back to what was rendered."""

import json
from datetime import date, datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymisp import MISPEvent
from pymisp.exceptions import PyMISPError

from ingest.misp import event_record, load_event, render_event
from ingest.misp.attributes import PARTS
from ncert.taxonomy import TLP

# The mapped types, and a sample of the others (text-valued: no attachments, no datetime parsing).
MISP_TYPES = sorted(PARTS) + ["text", "comment", "port", "filename", "link", "AS", "mutex", "regkey"]
TAGS = ["tlp:clear", "tlp:white", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red", "tlp:ex:chr", "tlp:unclear",
        'rsit:malicious-code="infected-system"', 'rsit:bogus="x"', 'ecsirt:intrusions="bot"', "type:OSINT", "TLP:RED"]
VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["192.0.2.1", "2001:db8::1|80", "a.example|192.0.2.1", "x|" + "a" * 64, "CVE-2020-0001",
                     "http://a.example/", "a@b.example", "[x:y = 'z']", "|", "||", " "]),
)
ATTRIBUTE = st.fixed_dictionaries(
    {"type": st.sampled_from(MISP_TYPES), "value": VALUES},
    optional={"to_ids": st.booleans(), "deleted": st.booleans(), "comment": st.text(max_size=20)},
)


@st.composite
def misp_events(draw) -> MISPEvent:
    event = MISPEvent()
    event.info = draw(st.text(max_size=400))
    event.threat_level_id = draw(st.integers(1, 4))
    if draw(st.booleans()):
        event.set_date(draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1))))
    for tag in draw(st.lists(st.sampled_from(TAGS), max_size=4)):
        event.add_tag(tag)
    for attribute in draw(st.lists(ATTRIBUTE, max_size=12)):
        try:
            added = event.add_attribute(**attribute)
        except PyMISPError:  # a value PyMISP itself refuses is not an event PyMISP can build
            continue
        for _ in range(draw(st.integers(0, 2))):
            added.add_sighting({"type": draw(st.sampled_from(["0", "1", "2"])), "date_sighting": "1700000000"})
    return event


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(misp_events())
def test_any_event_pymisp_builds_maps_to_a_record(event):
    if "\x00" in event.info:
        with pytest.raises(ValueError, match="NUL"):
            event_record(event)
        return
    record = event_record(event)
    assert record.external_ids == {"misp": event.uuid}
    assert len(record.description) <= 20_000
    loaded = load_event(event.to_json())  # and as JSON, the way it arrives over HTTP
    assert event_record(loaded).indicators == record.indicators


INDICATOR = st.sampled_from([
    ("ipv4-addr", "198.51.100.7"), ("ipv6-addr", "2001:db8::9"), ("domain-name", "x.example.org"),
    ("url", "https://x.example.org/p"), ("email-addr", "a@x.example.org"), ("md5", "0" * 32), ("sha1", "1" * 40),
    ("sha256", "2" * 64), ("sha512", "3" * 128), ("cve", "CVE-2022-22965"), ("stix-pattern", "[url:value = 'x']"),
])


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(min_size=1, max_size=300).filter(lambda t: t.strip() and "\x00" not in t),
    tlp=st.sampled_from(list(TLP)),
    severity=st.none() | st.integers(0, 5),
    indicators=st.lists(st.tuples(INDICATOR, st.booleans()), max_size=8, unique_by=lambda x: x[0]),
)
def test_rendered_events_map_back(title, tlp, severity, indicators):
    document = render_event(title=title, uuid="3e0f9b8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", date=date(2025, 1, 2), tlp=tlp,
                            severity=severity, timestamp=datetime(2025, 1, 2, tzinfo=timezone.utc),
                            indicators=[(kind, value, to_ids) for (kind, value), to_ids in indicators])
    record = event_record(load_event(json.dumps(document)))
    assert record.title == title.strip()
    assert record.tlp is tlp
    assert [(i.type, i.value) for i in record.indicators] == [pair for pair, to_ids in indicators if to_ids]
