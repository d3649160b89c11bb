"""The real PyMISP, unchanged, against a running ncert serve: every call issue 4 lists."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from importlib.resources import files

from pymisp import MISPEvent, MISPObject, MISPOrganisation

from ncert.db import transaction
from ncert.models import MispEvent, Sighting
from ncert.services import incidents, indicators, queue
from ncert.taxonomy import TLP


def _event(info: str, *tags: str, day: date | None = None, threat_level: int = 2, **attributes) -> MISPEvent:
    event = MISPEvent()
    event.info = info
    event.threat_level_id = threat_level
    if day:
        event.date = day
    for tag in tags:
        event.add_tag(tag)
    for kind, value in attributes.items():
        event.add_attribute(kind.replace("_", "-"), value, to_ids=True)
    return event


def _incident(world, uuid: str):
    with transaction(world.runtime.sessions) as s:
        event = s.query(MispEvent).filter_by(uuid=uuid).one()
        incident = s.get(incidents.Incident, event.incident_id)
        values = {(i.type, i.value) for i in indicators.of_incident(s, incident.id)}
        return incident, values


def test_construction(misp):
    client = misp("gridco")
    assert client.misp_instance_version["version"] == "2.5.34"
    bundled = json.loads(files("pymisp").joinpath("data", "describeTypes.json").read_text())["result"]
    assert client.describe_types == bundled
    assert client._current_role.perm_add is True and client._current_role.perm_site_admin is False
    assert client._current_user.org_id == client.get_user()["Organisation"]["id"]


def test_push_lands_in_the_triage_queue_as_the_authenticated_org(misp, world):
    client = misp("gridco")
    event = _event("Ransomware at substation", "tlp:amber", 'rsit:malicious-code="infected-system"',
                   threat_level=1, ip_dst="198.51.100.7", domain="c2.example.org")
    event.add_attribute("text", "operator notes", to_ids=False)
    obj = MISPObject("domain-ip")
    obj.add_attribute("ip", "203.0.113.9", to_ids=True)
    event.add_object(obj)
    spoofed = MISPOrganisation()
    spoofed.from_dict(name="National CERT", uuid="00000000-0000-4000-8000-000000000001")
    event.Orgc = spoofed
    pushed = client.add_event(event, pythonify=True)
    assert pushed.info == "Ransomware at substation" and int(pushed.id) > 0

    with transaction(world.runtime.sessions) as s:
        page = queue.list_incidents(s, world.operator, queue.QueueFilter())
        [incident] = page.items
        assert (incident.tlp, incident.rsit_class, incident.rsit_type, incident.severity) == (
            TLP.AMBER, "malicious-code", "infected-system", 3)
        assert incident.source_channel == "misp" and incident.reporter_org.slug == "gridco"
        values = {(i.type, i.value) for i in indicators.of_incident(s, incident.id)}
    assert values == {("ipv4-addr", "198.51.100.7"), ("domain-name", "c2.example.org"), ("ipv4-addr", "203.0.113.9")}

    for ident in (pushed.id, pushed.uuid):
        got = client.get_event(ident, pythonify=True)
        assert sorted(a.value for a in got.attributes) == ["198.51.100.7", "c2.example.org", "operator notes"]
        assert [o.name for o in got.objects] == ["domain-ip"] and got.objects[0].attributes[0].value == "203.0.113.9"
        assert got.Orgc.name == "GridCo Transmission"
        assert {t.name for t in got.tags} >= {"tlp:amber", 'rsit:malicious-code="infected-system"'}
    assert client.event_exists(pushed.uuid) and client.event_exists(pushed.id)
    assert not client.event_exists("00000000-0000-4000-8000-00000000beef")
    missing = client.get_event(999999)
    assert missing["errors"][0] == 404 and missing["errors"][1]["message"]


def test_update_delete_and_publish(misp, world):
    client = misp("gridco")
    pushed = client.add_event(_event("First take", "tlp:green", ip_dst="192.0.2.10"), pythonify=True)

    pushed.info = "Second take"
    pushed.add_attribute("domain", "later.example.net", to_ids=True)
    updated = client.update_event(pushed, pythonify=True)
    assert updated.info == "Second take" and int(updated.timestamp.timestamp()) > 0
    incident, values = _incident(world, pushed.uuid)
    assert incident.title == "Second take" and ("domain-name", "later.example.net") in values

    stale = client.get_event(pushed.id, pythonify=True)
    stale.info = "Stale replay"
    stale.timestamp = updated.timestamp  # an equal timestamp is not newer: nothing changes
    stale.force_timestamp = True
    assert client.update_event(stale, pythonify=True).info == "Second take"
    assert _incident(world, pushed.uuid)[0].title == "Second take"

    published = client.publish(pushed.id)
    assert published["success"] is True
    again = client.get_event(pushed.id, pythonify=True)
    assert again.published is True and again.publish_timestamp.timestamp() > 0

    edited = client.get_event(pushed.id, pythonify=True)
    edited.attributes[0].delete()
    client.update_event(edited)
    assert [a.value for a in client.get_event(pushed.id, pythonify=True).attributes] == ["later.example.net"]
    with_deleted = client.get_event(pushed.id, deleted=True, pythonify=True)  # POST events/view
    assert [(a.value, a.deleted) for a in with_deleted.attributes] == [("192.0.2.10", True),
                                                                       ("later.example.net", False)]

    deleted = client.delete_event(pushed.uuid)
    assert deleted["success"] is True and deleted["id"] == str(pushed.id)
    assert not client.event_exists(pushed.id)
    assert client.get_event(pushed.id)["errors"][0] == 404
    with transaction(world.runtime.sessions) as s:  # the incident stays in the queue
        assert [i.title for i in queue.list_incidents(s, world.operator, queue.QueueFilter()).items] == ["Second take"]


def test_attributes_and_sightings(misp, world):
    client = misp("gridco")
    pushed = client.add_event(_event("Phishing wave", "tlp:green", email_src="boss@phish.example"),
                              pythonify=True)
    one = client.add_attribute(pushed.id, {"type": "url", "value": "https://phish.example/login", "to_ids": True},
                               pythonify=True)
    assert one.value == "https://phish.example/login" and one.event_id == pushed.id
    many = client.add_attribute(pushed.id, [{"type": "ip-src", "value": "192.0.2.44", "to_ids": True},
                                            {"type": "comment", "value": "seen at 3 banks"}], pythonify=True)
    assert [a.value for a in many["attributes"]] == ["192.0.2.44", "seen at 3 banks"]
    single_list = client.add_attribute(pushed.id, [{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e",
                                                    "to_ids": True}], pythonify=True)
    assert [a.type for a in single_list["attributes"]] == ["md5"]
    _, values = _incident(world, pushed.uuid)
    assert {("url", "https://phish.example/login"), ("ipv4-addr", "192.0.2.44"),
            ("md5", "d41d8cd98f00b204e9800998ecf8427e")} <= values

    sighted = client.add_sighting({"value": "192.0.2.44", "source": "firewall"})
    assert sighted["Sighting"]["type"] == "0"
    client.add_sighting({"source": "proxy"}, attribute=one.id)
    assert client.add_sighting({"value": "192.0.2.44", "type": "1"})["Sighting"]["type"] == "1"  # not counted
    partner = misp("powergen")  # a TLP:GREEN event is visible to another analyst, who reports their own sighting
    partner.add_sighting({"value": "192.0.2.44"})
    with transaction(world.runtime.sessions) as s:
        ids = indicators.lookup_ids(s, [("ipv4-addr", "192.0.2.44"), ("url", "https://phish.example/login")])
        rows = s.query(Sighting).filter(Sighting.indicator_id.in_(ids.values())).all()
        by_org = Counter(r.org.slug for r in rows)
    # gridco: one sighting per indicator when reported, then two through sightings/add
    assert by_org == {"gridco": 4, "powergen": 1}


def test_tags_only_tighten_the_label(misp, world):
    client = misp("gridco")
    assert {"tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red"} <= {t["name"] for t in client.tags()}
    created = client.add_tag({"name": "campaign:blackout", "colour": "#123456"})
    assert created["Tag"]["name"] == "campaign:blackout"
    assert "campaign:blackout" in {t["name"] for t in client.tags()}
    assert "campaign:blackout" not in {t["name"] for t in misp("powergen").tags()}

    pushed = client.add_event(_event("Scanning", "tlp:green", ip_src="192.0.2.77"), pythonify=True)
    assert client.tag(pushed.uuid, "tlp:red")["saved"] is True
    assert _incident(world, pushed.uuid)[0].tlp is TLP.RED
    client.untag(pushed.uuid, "tlp:red")
    client.tag(pushed.uuid, "tlp:clear")
    assert _incident(world, pushed.uuid)[0].tlp is TLP.RED  # never loosened
    got = client.get_event(pushed.id, pythonify=True)
    assert [t.name for t in got.tags if t.name.startswith("tlp:")] == ["tlp:red"]

    client.tag(pushed.uuid, "campaign:blackout")
    attribute = got.attributes[0]
    client.tag(attribute.uuid, "kill-chain:recon")
    got = client.get_event(pushed.id, pythonify=True)
    assert "campaign:blackout" in {t.name for t in got.tags}
    assert [t.name for t in got.attributes[0].tags] == ["kill-chain:recon"]
    client.untag(attribute.uuid, "kill-chain:recon")
    assert client.get_event(pushed.id, pythonify=True).attributes[0].tags == []
    assert client.untag(pushed.uuid, "never-attached")["errors"][0] == 404


def test_search_events_and_attributes(misp):
    client = misp("gridco")
    today = date.today()
    old = client.add_event(_event("Old botnet", "tlp:green", "campaign:old", day=today - timedelta(days=30),
                                  ip_dst="192.0.2.1"), pythonify=True)
    new = client.add_event(_event("New botnet", "tlp:green", "campaign:new", day=today,
                                  ip_dst="192.0.2.2", domain="new.example"), pythonify=True)
    third = client.add_event(_event("Unrelated", "tlp:amber", day=today, sha256="a" * 64), pythonify=True)
    client.publish(new.id)

    def infos(**kw):
        return [e["Event"]["info"] for e in client.search(**kw)]

    assert infos(value="192.0.2.2") == ["New botnet"]
    assert infos(value="192.0.2.%") == ["Old botnet", "New botnet"]
    assert infos(type_attribute="sha256") == ["Unrelated"]
    assert infos(tags="campaign:old") == ["Old botnet"]
    assert infos(tags=["campaign:old", "campaign:new"]) == ["Old botnet", "New botnet"]
    assert infos(tags="!tlp:green") == ["Unrelated"]
    assert infos(tags=client.build_complex_query(or_parameters=["tlp:green"], not_parameters=["campaign:old"])) == [
        "New botnet"]
    assert infos(date_from=today - timedelta(days=1)) == ["New botnet", "Unrelated"]
    assert infos(date_to=(today - timedelta(days=1)).isoformat()) == ["Old botnet"]
    assert infos(last="1d") == ["New botnet"]
    assert infos(published=True) == ["New botnet"]
    assert infos(published=False) == ["Old botnet", "Unrelated"]
    assert infos(eventid=third.id) == ["Unrelated"]
    assert infos(uuid=old.uuid) == ["Old botnet"]
    assert infos(limit=2, page=1) == ["Old botnet", "New botnet"]
    assert infos(limit=2, page=2) == ["Unrelated"]
    assert infos(tags="tlp:green", limit=1, page=2) == ["New botnet"]

    def values(**kw):
        return [a["value"] for a in client.search(controller="attributes", **kw)["Attribute"]]

    assert values(value="new.example") == ["new.example"]
    assert values(type_attribute="ip-dst") == ["192.0.2.1", "192.0.2.2"]
    assert values(tags="campaign:new") == ["192.0.2.2", "new.example"]
    assert values(eventid=old.id) == ["192.0.2.1"]
    assert values(uuid=new.uuid) == ["192.0.2.2", "new.example"]
    assert values(date_from=today.isoformat(), type_attribute="ip-dst") == ["192.0.2.2"]
    assert values(date_to=today - timedelta(days=2)) == ["192.0.2.1"]
    assert values(last="1d") == ["192.0.2.2", "new.example"]
    assert values(published=False) == ["192.0.2.1", "a" * 64]
    assert values(limit=2, page=2) == ["new.example", "a" * 64]
    found = client.search(controller="attributes", value="192.0.2.1", pythonify=True)
    assert [(a.value, a.Event.info) for a in found] == [("192.0.2.1", "Old botnet")]

    index = client.search_index(published=False, pythonify=True)
    assert [e.info for e in index] == ["Old botnet", "Unrelated"] and all(not e.attributes for e in index)
    assert [e["info"] for e in client.search_index(tags="campaign:new")] == ["New botnet"]
    assert [e["info"] for e in client.search_index(date_from=today.isoformat())] == ["New botnet", "Unrelated"]
    assert [e["info"] for e in client.search_index(eventinfo="%botnet", limit=1, page=2)] == ["New botnet"]


def test_tlp_scoping(misp):
    gridco = misp("gridco")
    amber = gridco.add_event(_event("Amber only", "tlp:amber", ip_dst="192.0.2.200"), pythonify=True)
    green = gridco.add_event(_event("Green for all", "tlp:green", ip_dst="192.0.2.201"), pythonify=True)

    other = misp("powergen")
    assert other.get_event(amber.id)["errors"][0] == 404
    assert not other.event_exists(amber.uuid)
    assert other.event_exists(green.uuid)
    assert [e["Event"]["info"] for e in other.search(value="192.0.2.%")] == ["Green for all"]
    assert [a["value"] for a in other.search(controller="attributes", value="192.0.2.%")["Attribute"]] == [
        "192.0.2.201"]
    assert [e["info"] for e in other.search_index()] == ["Green for all"]
    assert other.add_sighting({"value": "192.0.2.200"})["errors"][0] == 404
    refused = other.update_event(_event("Hijack"), event_id=green.id)
    assert refused["errors"][0] == 403
    assert other.tag(amber.uuid, "tlp:clear")["errors"][0] == 404

    operator = misp("national-cert", "soc_operator")
    assert operator.event_exists(amber.id)
    assert operator.get_event(amber.uuid, pythonify=True).info == "Amber only"
    assert len(operator.search(value="192.0.2.%")) == 2
