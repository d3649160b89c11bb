"""An event with a bad part is saved with its valid parts, as MISP does, and the answer names what was dropped."""

from __future__ import annotations

import pytest
from pymisp import MISPEvent
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import MispAttribute, MispEvent
from ncert.services import indicators

GOOD = {"type": "ip-dst", "value": "192.0.2.5", "to_ids": True, "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a01"}
OBJECT_UUID = "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a02"

BAD_PARTS = [
    ({"Attribute": [{"type": "no-such-type", "value": "x", "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a10"}]},
     {"part": "Attribute", "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a10"}, "unknown attribute type"),
    ({"Attribute": [{"type": "ip-dst", "value": "192.0.2.6", "uuid": "not-a-uuid"}]},
     {"part": "Attribute", "uuid": "not-a-uuid"}, "is not a UUID"),
    ({"Attribute": [{"type": "ip-dst", "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a11"}]},
     {"part": "Attribute", "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a11"}, "needs a text or number value"),
    ({"Attribute": [{"type": "text", "value": "a\u0000b", "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a12"}]},
     {"part": "Attribute", "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a12"}, "NUL"),
    ({"Attribute": [{"type": "ip-dst", "value": "192.0.2.7", "timestamp": 10**20,
                     "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a13"}]},
     {"part": "Attribute", "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a13"}, "out of range"),
    ({"Object": [{"name": "domain-ip", "uuid": "not-an-object-uuid",
                  "Attribute": [{"type": "ip-dst", "value": "192.0.2.8", "object_relation": "ip"}]}]},
     {"part": "Object", "uuid": "not-an-object-uuid"}, "is not a UUID"),
    ({"Object": [{"name": "../../../etc/passwd", "uuid": OBJECT_UUID, "Attribute": []}]},
     {"part": "Object", "uuid": OBJECT_UUID}, "not a MISP object template name"),
    ({"Object": [{"name": "domain-ip", "uuid": OBJECT_UUID, "Attribute": [
        {"type": "ip-dst", "value": "192.0.2.9", "object_relation": "r" * 300,
         "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a14"}]}]},
     {"part": "Attribute", "uuid": "0b3f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a14", "object_uuid": OBJECT_UUID},
     "longer than 128"),
]


def _stored(world, event_id: str) -> list[tuple[str, str]]:
    with transaction(world.runtime.sessions) as s:
        return [(a.uuid, a.value) for a in s.scalars(select(MispAttribute).where(
            MispAttribute.event_id == int(event_id)).order_by(MispAttribute.id))]


@pytest.mark.parametrize("bad, names, reason", BAD_PARTS)
def test_a_bad_part_is_dropped_and_named_and_the_rest_saved(door, world, bad, names, reason):
    sent = {"info": "Partly broken", "Tag": [{"name": "tlp:green"}], "Attribute": [GOOD, *bad.get("Attribute", [])],
            "Object": bad.get("Object", [])}
    resp = door("gridco")("POST", "events/add", sent)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert [a["uuid"] for a in body["Event"]["Attribute"]] == [GOOD["uuid"]]
    assert len(body["dropped"]) == 1
    dropped = body["dropped"][0]
    assert {k: dropped[k] for k in names} == names and reason in dropped["reason"]
    assert _stored(world, body["Event"]["id"]) == [(GOOD["uuid"], GOOD["value"])]
    with transaction(world.runtime.sessions) as s:
        event = s.get(MispEvent, int(body["Event"]["id"]))
        assert {i.value for i in indicators.of_incident(s, event.incident_id)} == {"192.0.2.5"}


def test_an_edit_drops_its_bad_parts_too(door, world):
    call = door("gridco")
    event = call("POST", "events/add", {"info": "Edited", "Attribute": [GOOD]}).get_json()["Event"]
    resp = call("POST", f"events/edit/{event['id']}", {"info": "Edited", "Attribute": [
        GOOD, {"type": "domain", "value": "ok.example"}, {"type": "made-up", "value": "x"}]})
    assert resp.status_code == 200
    assert [d["reason"] for d in resp.get_json()["dropped"]] == ["unknown attribute type 'made-up' (MISP describeTypes)"]
    assert [v for _, v in _stored(world, event["id"])] == ["192.0.2.5", "ok.example"]


def test_a_whole_answer_has_no_dropped_list(door):
    body = door("gridco")("POST", "events/add", {"info": "Clean", "Attribute": [GOOD]}).get_json()
    assert "dropped" not in body


def test_pymisp_reads_the_saved_event_and_the_dropped_list(misp):
    event = MISPEvent()
    event.info = "Partly broken, through PyMISP"
    event.add_attribute("ip-dst", "198.51.100.5", to_ids=True)
    sent = event.to_dict()
    sent["Object"] = [{"name": "domain-ip", "uuid": "not-a-uuid", "Attribute": []}]
    client = misp("gridco")
    raw = client.add_event(sent)
    assert raw["dropped"] == [{"part": "Object", "uuid": "not-a-uuid", "reason": "'not-a-uuid' is not a UUID"}]
    stored = client.get_event(raw["Event"]["id"], pythonify=True)
    assert [a.value for a in stored.attributes] == ["198.51.100.5"] and not stored.objects
