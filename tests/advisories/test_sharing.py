"""A published advisory reaches partners: a valid STIX 2.1 report in each national TAXII collection,
versioned with each published revision, and a published TLP:CLEAR event in their MISP feeds."""

from __future__ import annotations

import stix2
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_instance

from ncert.db import transaction
from ncert.services import advisories, taxii
from tests.advisories.helpers import content, publish

TAXII = "application/taxii+json;version=2.1"


def _collections(world) -> dict[str, str]:
    with transaction(world.runtime.sessions) as s:
        taxii.ensure_collections(s)
        return {c.alias: c.id for c, _ in taxii.collections(s, world.admin)}


def _objects(client, key: str, collection_id: str, query: str = "") -> list[dict]:
    response = client.get(f"/taxii2/ncert/collections/{collection_id}/objects/{query}",
                          headers={"Authorization": f"Bearer {key}", "Accept": TAXII})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json().get("objects", [])


def test_a_published_advisory_is_a_stix_report_in_every_national_collection(client, world):
    ids = _collections(world)
    ref = publish(world)
    for alias, org in (("national-sector-certs", "energy-cert"), ("national-partners", "partner-cert")):
        objects = _objects(client, world.key(org), ids[alias])
        for obj in objects:
            result = validate_instance(obj, ValidationOptions(version="2.1"))
            assert result.is_valid, (obj["type"], [str(e) for e in result.errors])
        stix2.parse({"type": "bundle", "id": "bundle--8f7bd4c6-98b9-4c7f-a0d4-3f2f1a1d6a11", "objects": objects})
        [report] = [o for o in objects if o["type"] == "report"]
        assert report["name"] == f"{ref}: Exploited flaw in ExampleVPN gateways" and report["lang"] == "en"
        assert report["object_marking_refs"] == ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]
        kinds = {o["id"]: o["type"] for o in objects}
        assert sorted(kinds[r] for r in report["object_refs"]) == ["indicator", "vulnerability"]
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.operator, ref, content(change_summary="More indicators",
                                                          indicators=[{"type": "ipv4-addr", "value": "198.51.100.23"},
                                                                      {"type": "domain-name", "value": "c2.example"}]))
        advisories.submit(s, world.operator, ref, 2)
        advisories.approve(s, world.admin, ref, 2)
        advisories.publish(s, world.operator, ref, 2)
    every = _objects(client, world.key("partner-cert"), ids["national-partners"], "?match[version]=all")
    versions = [o for o in every if o["type"] == "report"]
    assert len(versions) == 2 and len({(o["id"], o["created"]) for o in versions}) == 1
    assert versions[0]["modified"] != versions[1]["modified"]


def test_a_published_advisory_is_an_event_in_the_misp_feeds(client, world):
    _collections(world)
    ref = publish(world)
    key = world.key("energy-cert")
    manifest = client.get("/misp-feeds/sector-certs/manifest.json", headers={"Authorization": key}).get_json()
    [event_uuid] = manifest
    event = MISPEvent()
    event.load(client.get(f"/misp-feeds/sector-certs/{event_uuid}.json", headers={"Authorization": key})
               .get_data(as_text=True))
    assert event.info == f"{ref}: Exploited flaw in ExampleVPN gateways" and event.published
    assert {t.name for t in event.tags} == {"tlp:clear"}
    assert {(a.type, a.value, a.to_ids) for a in event.attributes} == {
        ("ip-dst", "198.51.100.23", True), ("vulnerability", "CVE-2026-12345", False)}


def test_an_unpublished_advisory_is_not_shared(client, world):
    ids = _collections(world)
    with transaction(world.runtime.sessions) as s:
        draft = advisories.create(s, world.operator, content())
        advisories.submit(s, world.operator, draft.reference, 1)
        advisories.approve(s, world.admin, draft.reference, 1)
    assert _objects(client, world.key("partner-cert"), ids["national-partners"]) == []
