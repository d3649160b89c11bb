"""What a TAXII push means for the national queue: indicators, sightings,
incidents and links, always in the name of the authenticated organisation."""

import orjson
from sqlalchemy import select

from ncert.models import Incident, IncidentIndicator, Indicator, Sighting
from ncert.services import incidents, indicators
from ncert.services.queue import QueueFilter, list_incidents
from tests.taxii.stix_data import TLP_AMBER, TLP_GREEN, TLP_RED_V1, envelope, indicator, ts

TAXII = "application/taxii+json;version=2.1"
INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"


def push(client, world, org, cid, *objects):
    r = client.post(f"/taxii2/ncert/collections/{cid}/objects/", data=orjson.dumps(envelope(*objects)),
                    headers={"Authorization": f"Bearer {world.key(org)}", "Accept": TAXII, "Content-Type": TAXII})
    assert r.status_code == 202, r.data
    return r.json


def test_indicators_become_normalised_indicators_under_their_tlp(client, world, collections):
    push(client, world, "gridco", collections["inbox-energy"],
         indicator("198.51.100.20", marking=TLP_GREEN),
         indicator("Update-Check.Example.COM", kind="domain-name", marking=TLP_RED_V1),
         {**indicator("x", marking=None), "pattern": "[file:hashes.'SHA-256' = '" + "AB" * 32 + "']"},
         {**indicator("y"), "pattern": "  [process:name = 'mimikatz.exe'] AND [process:pid = 4]"})
    with world.runtime.sessions() as s:
        got = {(i.type, i.value): i.tlp.value for i in s.scalars(select(Indicator))}
    assert got == {("ipv4-addr", "198.51.100.20"): "TLP:GREEN", ("domain-name", "update-check.example.com"): "TLP:RED",
                   ("sha256", "ab" * 32): "TLP:AMBER",
                   ("stix-pattern", "[process:name = 'mimikatz.exe'] AND [process:pid = 4]"): "TLP:GREEN"}


def test_sightings_count_for_the_submitter_not_the_named_identity(client, world, collections):
    ind = indicator("203.0.113.50")
    sighting = {"type": "sighting", "spec_version": "2.1", "id": "sighting--9a3f2a52-5f6d-4a8e-9f54-0c4e1f8f3b11",
                "created": ts(2), "modified": ts(2), "sighting_of_ref": ind["id"], "count": 12,
                "first_seen": ts(1), "last_seen": ts(2),
                "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
                "where_sighted_refs": ["identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"]}
    impostor = {"type": "identity", "spec_version": "2.1", "id": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
                "created": ts(1), "modified": ts(1), "name": "Central Bank", "identity_class": "organization"}
    cid = collections["inbox-energy"]
    push(client, world, "gridco", cid, ind)
    push(client, world, "gridco", cid, impostor, sighting)  # the indicator comes from storage this time
    with world.runtime.sessions() as s:
        rows = s.scalars(select(Sighting)).all()
    assert [(r.org_id, r.count) for r in rows] == [(world.orgs["gridco"], 12)]


def test_observed_data_becomes_sightings(client, world, collections):
    ip = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--5b3e6f9c-2b0e-5f4e-8b1a-3c9d2a7e6f10",
          "value": "192.0.2.80"}
    observed = {"type": "observed-data", "spec_version": "2.1",
                "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf", "created": ts(3), "modified": ts(3),
                "first_observed": ts(3), "last_observed": ts(3), "number_observed": 40, "object_refs": [ip["id"]]}
    push(client, world, "powergen", collections["inbox-energy"], ip, observed)
    with world.runtime.sessions() as s:
        (row,) = s.scalars(select(Sighting)).all()
        assert (row.count, row.org_id, s.get(Indicator, row.indicator_id).value) == (
            40, world.orgs["powergen"], "192.0.2.80")


def test_incident_with_core_extension_enters_the_queue_and_links_indicators(client, world, collections):
    ind = indicator("198.51.100.66", marking=TLP_AMBER)
    inc = {"type": "incident", "spec_version": "2.1", "id": "incident--7c0d1f4e-4a43-4a5b-8d0f-0a1a2b3c4d5e",
           "created": ts(5), "modified": ts(5), "name": "Ransomware at substation control centre",
           "description": "LockBit note found on two HMIs.", "object_marking_refs": [TLP_AMBER],
           "extensions": {INCIDENT_CORE: {"extension_type": "property-extension", "determination": "successful-attempt",
                                          "investigation_status": "open", "incident_types": ["ransomware"],
                                          "criticality": 80}}}
    rel = {"type": "relationship", "spec_version": "2.1", "id": "relationship--0f8b0e3e-4d2a-4c54-9f5b-2a8e9b6c7d10",
           "created": ts(5), "modified": ts(5), "relationship_type": "related-to", "source_ref": ind["id"],
           "target_ref": inc["id"]}
    cid = collections["inbox-energy"]
    push(client, world, "gridco", cid, ind, inc, rel)
    again = push(client, world, "gridco", cid, ind, inc, rel)
    assert again["success_count"] == 3
    with world.runtime.sessions() as s:
        page = list_incidents(s, world.operator, QueueFilter(), limit=10).items
        assert len(page) == 1  # the same object again is a no-op
        found = page[0]
        assert (found.title, found.tlp.value, found.reporter_org.slug, found.source_channel) == (
            "Ransomware at substation control centre", "TLP:AMBER", "gridco", "taxii")
        assert found.external_ids == {"stix": inc["id"]} and found.severity >= 3
        assert [i.value for i in indicators.of_incident(s, found.id)] == ["198.51.100.66"]
    updated = {**inc, "modified": ts(9), "name": "Ransomware at two substations",
               "object_marking_refs": [TLP_RED_V1]}
    push(client, world, "gridco", cid, updated)
    with world.runtime.sessions() as s:
        (found,) = s.scalars(select(Incident)).all()
        assert found.title == "Ransomware at two substations" and found.tlp.value == "TLP:RED"
        assert [e.kind for e in incidents.timeline(s, world.operator, found)] == ["created", "source-update"]
    late_older = {**inc, "modified": ts(7), "name": "An older title that arrived late"}
    push(client, world, "gridco", cid, late_older)
    with world.runtime.sessions() as s:
        assert s.scalars(select(Incident)).one().title == "Ransomware at two substations"


def test_incident_report_with_object_refs(client, world, collections):
    ind = indicator("login-bank.example.net", kind="domain-name", marking=TLP_GREEN)
    report = {"type": "report", "spec_version": "2.1", "id": "report--a2f0b7c1-6d0e-4f43-9a51-3b7c1d2e3f40",
              "created": ts(6), "modified": ts(6), "name": "Credential phishing against bank customers",
              "published": ts(6), "report_types": ["incident"], "object_refs": [ind["id"]],
              "object_marking_refs": [TLP_GREEN], "labels": ["phishing"]}
    push(client, world, "centralbank", collections["inbox-finance"], ind, report)
    with world.runtime.sessions() as s:
        (inc,) = s.scalars(select(Incident)).all()
        assert (inc.rsit_class, inc.rsit_type, inc.tlp.value, inc.sector.slug) == (
            "fraud", "phishing", "TLP:GREEN", "finance")
        links = s.scalars(select(IncidentIndicator)).all()
        assert len(links) == 1


def test_national_collections_are_not_mapped_into_the_queue(client, world, collections):
    op = "national-cert"
    from ncert.taxonomy import Role

    r = client.post(f"/taxii2/ncert/collections/{collections['national-sector-certs']}/objects/",
                    data=orjson.dumps(envelope(indicator("198.51.100.90"))),
                    headers={"Authorization": f"Bearer {world.key(op, Role.SOC_OPERATOR)}", "Accept": TAXII,
                             "Content-Type": TAXII})
    assert r.status_code == 202
    with world.runtime.sessions() as s:
        assert s.scalars(select(Indicator)).all() == []


def test_an_incident_that_cannot_enter_the_queue_spoils_nothing_else(client, world, collections):
    bad = {"type": "incident", "spec_version": "2.1", "id": "incident--1d2c3b4a-5e6f-4a1b-8c9d-0e1f2a3b4c5d",
           "created": ts(5), "modified": ts(5), "name": "Wiper\u0000 at the water works"}
    good = {**bad, "id": "incident--2e3d4c5b-6f70-4b2c-9d0e-1f2a3b4c5d6e", "name": "Wiper at the water works"}
    status = push(client, world, "gridco", collections["inbox-energy"], bad, good, indicator("198.51.100.77"))
    assert (status["success_count"], status["failure_count"]) == (3, 0)
    messages = {s["id"]: s["message"] for s in status["successes"]}
    assert "not taken into the queue" in messages[bad["id"]] and "NUL" in messages[bad["id"]]
    with world.runtime.sessions() as s:
        assert [i.title for i in s.scalars(select(Incident))] == ["Wiper at the water works"]
        assert len(s.scalars(select(Indicator)).all()) == 1
