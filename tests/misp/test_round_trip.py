"""The round trip of issue 4: an event pushed with PyMISP, shared by an operator to a
national audience, comes back out as STIX 2.1 over TAXII and as a MISP event from
that audience's feed."""

from __future__ import annotations

import requests
from pymisp import MISPEvent
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot

from ncert.db import transaction
from ncert.models import MispEvent
from ncert.services import incidents, taxii
from ncert.taxonomy import Role


def test_pymisp_push_comes_back_as_stix_and_as_a_misp_feed_event(misp, server, world):
    with transaction(world.runtime.sessions) as s:
        taxii.ensure_collections(s)
    event = MISPEvent()
    event.info = "Credential phishing against grid operators"
    event.add_tag("tlp:green")
    event.add_tag('rsit:fraud="phishing"')
    event.add_attribute("domain", "grid-login.example.net", to_ids=True)
    event.add_attribute("ip-dst", "198.51.100.61", to_ids=True)
    pushed = misp("gridco").add_event(event, pythonify=True)
    with transaction(world.runtime.sessions) as s:
        stored = s.query(MispEvent).filter_by(uuid=pushed.uuid).one()
        reference = s.get(incidents.Incident, stored.incident_id).reference

    operator = world.key("national-cert", Role.SOC_OPERATOR)
    published = requests.post(f"{server}/api/v1/incidents/{reference}/publish",
                              json={"collection": "national-sector-certs", "tlp": "TLP:GREEN"},
                              headers={"Authorization": f"Bearer {operator}"})
    assert published.status_code == 200, published.text

    reader = world.key("energy-cert")
    root = ApiRoot(f"{server}/taxii2/ncert/", auth=TokenAuth(reader))
    national = next(c for c in root.collections if c.alias == "national-sector-certs")
    objects = national.get_objects()["objects"]
    assert [o["name"] for o in objects if o["type"] == "incident"] == [event.info]
    patterns = {o["pattern"] for o in objects if o["type"] == "indicator"}
    assert {"[domain-name:value = 'grid-login.example.net']", "[ipv4-addr:value = '198.51.100.61']"} <= patterns

    manifest = requests.get(f"{server}/misp-feeds/sector-certs/manifest.json", headers={"Authorization": reader})
    assert manifest.status_code == 200
    (feed_uuid, meta), = manifest.json().items()
    assert meta["info"] == event.info
    served = MISPEvent()
    served.load(requests.get(f"{server}/misp-feeds/sector-certs/{feed_uuid}.json",
                             headers={"Authorization": reader}).text)
    assert {a.value for a in served.attributes} >= {"grid-login.example.net", "198.51.100.61"}
    assert "tlp:green" in {t.name for t in served.tags}
