"""Every export a caller triggers is in the audit log, with who took it through
which door: STIX bundles (REST, console), MISP feed files, TAXII reads of a
national collection, and MISP restSearch results."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import AuditEvent, Organization
from ncert.services import stix_export, taxii
from ncert.taxonomy import TLP
from tests.console.helpers import Console

TAXII = "application/taxii+json;version=2.1"


def _exports(world) -> list[tuple]:
    with world.runtime.sessions() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action.like("%.export")).order_by(AuditEvent.id))
        return [(e.action, e.actor, e.interface, e.object_type, e.object_id, e.details) for e in rows]


@pytest.fixture
def collections(world) -> dict[str, str]:
    with transaction(world.runtime.sessions) as s:
        taxii.ensure_collections(s)
        return {c.alias: c.id for c, _ in taxii.collections(s, world.admin)}


@pytest.fixture
def published(world, collections) -> str:
    """A GridCo incident the national centre published to the sector CERTs at GREEN."""
    ref = world.submit(world.actor("analyst@gridco.test"), title="Grid SCADA phishing", tlp="TLP:AMBER",
                       indicators=[{"type": "ipv4-addr", "value": "198.51.100.23"}])
    with transaction(world.runtime.sessions) as s:
        national = s.get(Organization, world.orgs["national-cert"])
        stix_export.publish_incident(s, world.operator, ref, "national-sector-certs", TLP.GREEN, national)
    return ref


def test_a_stix_export_through_the_rest_api_is_audited(client, world, published):
    key = world.key("gridco")
    response = client.get(f"/api/v1/incidents/{published.lower()}/stix", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    [(action, actor, interface, kind, ident, details)] = _exports(world)
    assert (action, interface, kind, ident, details) == ("incident.export", "api", "incident", published,
                                                          {"format": "stix-2.1"})
    assert actor.startswith("api-key ncert_") and actor.endswith("(gridco)")


def test_a_refused_export_is_not_logged_as_one(client, world, published):
    response = client.get(f"/api/v1/incidents/{published}/stix",
                          headers={"Authorization": f"Bearer {world.key('powergen')}"})
    assert response.status_code == 404
    assert _exports(world) == []


def test_a_stix_download_from_the_console_is_audited(app, world, published):
    console = Console(app.test_client())
    assert console.login("operator@ncert.test").status_code == 302
    assert console.get(f"/incidents/{published}/stix").status_code == 200
    assert _exports(world) == [("incident.export", "operator@ncert.test", "console", "incident", published,
                                {"format": "stix-2.1"})]


def test_misp_feed_downloads_are_audited(client, world, published):
    headers = {"Authorization": world.key("energy-cert")}
    manifest = client.get("/misp-feeds/sector-certs/manifest.json", headers=headers)
    assert manifest.status_code == 200
    [event_uuid] = manifest.get_json()
    assert client.get("/misp-feeds/sector-certs/hashes.csv", headers=headers).status_code == 200
    assert client.get(f"/misp-feeds/sector-certs/{event_uuid}.json", headers=headers).status_code == 200
    assert [(a, i, k, o, d) for a, _, i, k, o, d in _exports(world)] == [
        ("feed.export", "misp-feed", "misp_feed", "sector-certs", {"file": "manifest"}),
        ("feed.export", "misp-feed", "misp_feed", "sector-certs", {"file": "manifest"}),
        ("feed.export", "misp-feed", "misp_feed", "sector-certs", {"event": event_uuid}),
    ]


def test_taxii_reads_of_a_national_collection_are_audited(client, world, collections, published):
    cid = collections["national-sector-certs"]
    response = client.get(f"/taxii2/ncert/collections/{cid}/objects/",
                          headers={"Authorization": f"Bearer {world.key('energy-cert')}", "Accept": TAXII})
    assert response.status_code == 200
    served = len(response.json["objects"])
    [(action, actor, interface, kind, ident, details)] = _exports(world)
    assert (action, interface, kind, ident, details) == ("taxii.export", "taxii", "collection",
                                                          "national-sector-certs", {"objects": served})
    assert actor.endswith("(energy-cert)")


def test_misp_rest_searches_are_audited(client, world, published):
    headers = {"Authorization": world.key("gridco"), "Accept": "application/json",
               "Content-Type": "application/json"}
    events = client.post("/misp/events/restSearch", data=json.dumps({}), headers=headers)
    attributes = client.post("/misp/attributes/restSearch", data=json.dumps({}), headers=headers)
    assert events.status_code == attributes.status_code == 200
    found = (len(events.json["response"]), len(attributes.json["response"]["Attribute"]))
    assert [(a, i, o, d) for a, _, i, _, o, d in _exports(world)] == [
        ("misp.export", "misp", "events/restSearch", {"events": found[0]}),
        ("misp.export", "misp", "attributes/restSearch", {"attributes": found[1]}),
    ]
