"""Who writes through the MISP door, and what the audit log keeps of tag and sighting changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.models import AuditEvent, Incident, MispAttribute, MispEvent, MispTag, Sighting

NO_PERMISSION = "You do not have permission to do that."
EVENT = {"info": "GridCo report", "Tag": [{"name": "tlp:green"}],
         "Attribute": [{"type": "ip-dst", "value": "192.0.2.5", "to_ids": True}]}


def _counts(world) -> tuple[int, ...]:
    with transaction(world.runtime.sessions) as s:
        return tuple(s.scalar(select(func.count()).select_from(m))
                     for m in (Incident, MispEvent, MispAttribute, MispTag, Sighting, AuditEvent))


@pytest.fixture
def event(door) -> dict:
    return door("gridco")("POST", "events/add", EVENT).get_json()["Event"]


WRITES = [
    ("events/add", lambda e: {"info": "Leadership's own"}),
    ("events/edit/{id}", lambda e: {**EVENT, "info": "Changed"}),
    ("events/delete/{id}", lambda e: None),
    ("events/publish/{id}", lambda e: None),
    ("attributes/add/{id}", lambda e: {"type": "domain", "value": "x.example"}),
    ("sightings/add", lambda e: {"value": "192.0.2.5"}),
    ("sightings/add/{attribute}", lambda e: {}),
    ("tags/add", lambda e: {"name": "leadership:tag"}),
    ("tags/attachTagToObject", lambda e: {"uuid": e["uuid"], "tag": "tlp:red"}),
    ("tags/removeTagFromObject", lambda e: {"uuid": e["uuid"], "tag": "tlp:green"}),
]


@pytest.mark.parametrize("path, body", WRITES)
def test_leadership_writes_nothing(door, world, event, path, body):
    leadership = door("national-cert", "leadership")  # its key is made (and audited) first
    before = _counts(world)
    resp = leadership("POST", path.format(id=event["id"], attribute=event["Attribute"][0]["id"]), body(event))
    assert resp.status_code == 403, resp.get_data(as_text=True)
    assert resp.get_json()["message"] == NO_PERMISSION
    assert _counts(world) == before


def test_leadership_still_reads(door, event):
    assert door("national-cert", "leadership")("GET", f"events/view/{event['id']}").status_code == 200


def _audit(world, action: str) -> list[tuple[str, str, dict]]:
    with transaction(world.runtime.sessions) as s:
        return [(a.object_type, a.object_id, a.details) for a in s.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_tag_changes_are_audited(door, world, event):
    gridco = door("gridco")
    attribute = event["Attribute"][0]
    assert gridco("POST", "tags/attachTagToObject", {"uuid": event["uuid"], "tag": "case:42"}).status_code == 200
    assert gridco("POST", "tags/attachTagToObject", {"uuid": attribute["uuid"], "tag": "c2"}).status_code == 200
    assert gridco("POST", "tags/removeTagFromObject", {"uuid": event["uuid"], "tag": "case:42"}).status_code == 200
    assert _audit(world, "misp.tag-attach") == [
        ("misp_event", event["id"], {"tag": "case:42", "event": int(event["id"]), "uuid": event["uuid"]}),
        ("misp_attribute", attribute["id"], {"tag": "c2", "event": int(event["id"]), "uuid": attribute["uuid"]}),
    ]
    assert _audit(world, "misp.tag-detach") == [
        ("misp_event", event["id"], {"tag": "case:42", "event": int(event["id"]), "uuid": event["uuid"]})]


def test_sightings_are_audited(door, world, event):
    attribute = event["Attribute"][0]
    resp = door("powergen")("POST", "sightings/add", {"value": "192.0.2.5", "type": "1", "source": "ids",
                                                      "timestamp": 1790000000})
    assert resp.status_code == 200
    assert _audit(world, "misp.sighting-add") == [
        ("misp_attribute", attribute["id"], {"type": "1", "attributes": [int(attribute["id"])], "counted": False,
                                             "seen_at": 1790000000, "source": "ids"})]
