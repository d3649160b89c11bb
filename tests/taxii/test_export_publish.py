"""STIX 2.1 export (validated by stix2-validator) and publishing to national collections."""

import orjson
import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance

from ncert.taxonomy import Role
from tests.taxii.stix_data import envelope

TAXII = "application/taxii+json;version=2.1"
GREEN_2_0 = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def api(client, key, method, path, body=None):
    headers = {"Authorization": f"Bearer {key}"}
    if body is not None:
        return client.open(path, method=method, data=orjson.dumps(body),
                           headers={**headers, "Content-Type": "application/json"})
    return client.open(path, method=method, headers=headers)


def assert_valid(bundle: dict) -> None:
    for obj in bundle["objects"]:
        result = validate_instance(obj, ValidationOptions(version="2.1"))
        assert result.is_valid, (obj["type"], [str(e) for e in result.errors])
    stix2.parse(bundle, allow_custom=False)


@pytest.fixture
def incident(world, collections):
    analyst = world.actor("analyst@gridco.test")
    return world.submit(analyst, title="DDoS on the customer portal", tlp="TLP:AMBER", category="availability/ddos",
                        description="Layer-7 flood from a residential botnet",
                        indicators=[{"type": "ipv4-addr", "value": "198.51.100.23", "count": 3},
                                    {"type": "domain-name", "value": "botnet-c2.example.net"},
                                    {"type": "sha256", "value": "c" * 64},
                                    {"type": "cve", "value": "CVE-2024-3400"},
                                    {"type": "url", "value": "http://evil.example.com/a'b"}])


def test_export_is_valid_stix_and_carries_the_tlp(client, world, incident):
    r = api(client, world.key("gridco"), "GET", f"/api/v1/incidents/{incident}/stix")
    assert r.status_code == 200
    bundle = r.json
    assert_valid(bundle)
    kinds = sorted({o["type"] for o in bundle["objects"]})
    assert kinds == ["identity", "incident", "indicator", "marking-definition", "relationship", "sighting",
                     "vulnerability"]
    amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    assert all(o.get("object_marking_refs") == [amber] for o in bundle["objects"]
               if o["type"] not in ("marking-definition", "identity"))
    patterns = {o["pattern"] for o in bundle["objects"] if o["type"] == "indicator"}
    assert "[url:value = 'http://evil.example.com/a\\'b']" in patterns
    again = api(client, world.key("gridco"), "GET", f"/api/v1/incidents/{incident}/stix").json
    assert sorted(o["id"] for o in again["objects"]) == sorted(o["id"] for o in bundle["objects"])


def test_export_follows_tlp_scoping(client, world, incident):
    assert api(client, world.key("powergen"), "GET", f"/api/v1/incidents/{incident}/stix").status_code == 404
    assert api(client, world.key("national-cert", Role.LEADERSHIP), "GET",
               f"/api/v1/incidents/{incident}/stix").status_code == 200


def test_publish_to_sector_certs_at_green(client, world, collections, incident):
    op = world.key("national-cert", Role.SOC_OPERATOR)
    r = api(client, op, "POST", f"/api/v1/incidents/{incident}/publish",
            {"collection": "national-sector-certs", "tlp": "TLP:GREEN"})
    assert r.status_code == 200 and r.json["failures"] == 0 and r.json["objects"] > 5
    cid = collections["national-sector-certs"]
    got = client.get(f"/taxii2/ncert/collections/{cid}/objects/",
                     headers={"Authorization": f"Bearer {world.key('energy-cert')}", "Accept": TAXII}).json
    assert {"incident", "indicator", "sighting"} <= {o["type"] for o in got["objects"]}
    assert all(o.get("object_marking_refs") == [GREEN_2_0] for o in got["objects"] if "object_marking_refs" in o)
    assert_valid({"type": "bundle", "id": "bundle--0b4f7e29-3a44-4c1b-9d59-2f3b2a6c1d10", "objects": got["objects"]})
    # the reporter's AMBER label is untouched in the queue; the publication is in the timeline
    inc = api(client, op, "GET", f"/api/v1/incidents/{incident}").json
    assert inc["tlp"] == "TLP:AMBER" and inc["timeline"][-1]["kind"] == "published"


def test_publish_refuses_labels_above_green_and_non_staff(client, world, collections, incident):
    op = world.key("national-cert", Role.SOC_OPERATOR)
    for label in ("TLP:AMBER", "TLP:RED"):
        r = api(client, op, "POST", f"/api/v1/incidents/{incident}/publish",
                {"collection": "national-partners", "tlp": label})
        assert r.status_code == 422 and "TLP:CLEAR" in r.json["detail"]
    r = api(client, op, "POST", f"/api/v1/incidents/{incident}/publish",
            {"collection": "inbox-energy", "tlp": "TLP:GREEN"})
    assert r.status_code == 422
    r = api(client, world.key("gridco"), "POST", f"/api/v1/incidents/{incident}/publish",
            {"collection": "national-sector-certs", "tlp": "TLP:GREEN"})
    assert r.status_code == 403


def test_publish_indicator_set_to_partners(client, world, collections, incident):
    op = world.key("national-cert", Role.SOC_OPERATOR)
    r = api(client, op, "POST", "/api/v1/indicators/publish",
            {"collection": "national-partners", "tlp": "TLP:CLEAR",
             "indicators": [{"type": "domain-name", "value": "BOTNET-C2.example.net."}]})
    assert r.status_code == 200 and r.json["objects"] == 3  # identity, marking, indicator
    cid = collections["national-partners"]
    got = client.get(f"/taxii2/ncert/collections/{cid}/objects/",
                     headers={"Authorization": f"Bearer {world.key('partner-cert')}", "Accept": TAXII}).json
    assert [o["pattern"] for o in got["objects"] if o["type"] == "indicator"] == [
        "[domain-name:value = 'botnet-c2.example.net']"]
    r = api(client, op, "POST", "/api/v1/indicators/publish",
            {"collection": "national-partners", "tlp": "TLP:CLEAR",
             "indicators": [{"type": "domain-name", "value": "never-reported.example"}]})
    assert r.status_code == 422


def test_an_export_round_trips_through_another_inbox(client, world, collections, incident):
    bundle = api(client, world.key("national-cert", Role.SOC_OPERATOR), "GET",
                 f"/api/v1/incidents/{incident}/stix").json
    r = client.post(f"/taxii2/ncert/collections/{collections['inbox-finance']}/objects/",
                    data=orjson.dumps(envelope(*bundle["objects"])),
                    headers={"Authorization": f"Bearer {world.key('centralbank')}", "Accept": TAXII,
                             "Content-Type": TAXII})
    assert r.status_code == 202 and r.json["failure_count"] == 0
    listed = api(client, world.key("centralbank"), "GET", "/api/v1/incidents").json["items"]
    assert [i["title"] for i in listed if i["reporter_org"] == "centralbank"] == ["DDoS on the customer portal"]
