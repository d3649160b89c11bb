"""Sector inbox bookkeeping is per pushing organisation (issue 9, section 2).

Two organisations of the energy sector share ``inbox-energy``. What PowerGen
pushed there (hidden from GridCo) must not change anything GridCo is told about
its own pushes: whether an object is "already stored", which version is its
latest, and what ``object_refs`` in its reports resolve to. Each check is the
differential one (tests/differential.py) through the TAXII door.
"""

import uuid

import orjson
import pytest
from sqlalchemy import select
from taxii2client.v21 import Collection

from ncert.models import StixObject
from tests.differential import Differential
from tests.serving import running_server
from tests.taxii.stix_data import TLP_AMBER, envelope, indicator, ts

TAXII = "application/taxii+json;version=2.1"


def new_id(kind: str = "indicator") -> str:
    return f"{kind}--{uuid.uuid4()}"


def headers(world, org):
    return {"Authorization": f"Bearer {world.key(org)}", "Accept": TAXII, "Content-Type": TAXII}


def push(client, world, org, cid, *objects):
    r = client.post(f"/taxii2/ncert/collections/{cid}/objects/", data=orjson.dumps(envelope(*objects)),
                    headers=headers(world, org))
    assert r.status_code == 202, r.data
    return r.json


def read_back(client, world, org, cid, stix_id):
    """What ``org`` gets for one object: its latest version, all versions, and the manifest entry."""
    base = f"/taxii2/ncert/collections/{cid}"
    hdrs = headers(world, org)
    latest = client.get(f"{base}/objects/{stix_id}/", headers=hdrs)
    versions = client.get(f"{base}/objects/{stix_id}/versions/", headers=hdrs)
    manifest = client.get(f"{base}/manifest/", query_string={"match[id]": stix_id}, headers=hdrs)
    return [(r.status_code, r.json) for r in (latest, versions, manifest)]


def without_request_time(status: dict) -> dict:
    return {k: v for k, v in status.items() if k not in ("id", "request_timestamp")}


@pytest.mark.parametrize("their_version", [1, 5], ids=["same-version", "newer-version"])
def test_another_organisations_copy_of_an_id_changes_nothing_gridco_is_told(client, world, collections,
                                                                          their_version):
    cid = collections["inbox-energy"]
    probe = Differential(secret=new_id(), control=new_id())
    push(client, world, "powergen", cid, indicator("203.0.113.66", ident=probe.secret, day=their_version,
                                                   marking=TLP_AMBER))

    def gridco_pushes_and_reads(stix_id):
        status = push(client, world, "gridco", cid, indicator("198.51.100.7", ident=stix_id, day=1))
        return without_request_time(status), read_back(client, world, "gridco", cid, stix_id)

    probe.assert_same(gridco_pushes_and_reads)


def test_each_organisation_keeps_its_own_copy_and_its_own_latest_version(client, world, collections):
    cid, stix_id = collections["inbox-energy"], new_id()
    push(client, world, "gridco", cid, indicator("198.51.100.8", ident=stix_id, day=1))
    push(client, world, "powergen", cid, indicator("198.51.100.8", ident=stix_id, day=1))
    push(client, world, "powergen", cid, indicator("198.51.100.8", ident=stix_id, day=5))
    again = push(client, world, "gridco", cid, indicator("198.51.100.8", ident=stix_id, day=1))
    assert again["successes"][0]["message"] == "unchanged: this version is already stored"
    with world.runtime.sessions() as s:
        rows = s.execute(select(StixObject.org_id, StixObject.version, StixObject.is_latest).where(
            StixObject.stix_id == stix_id)).all()
    day = "2026-03-{:02d}T10:00:00.000000Z".format
    assert sorted(rows) == sorted([(world.orgs["gridco"], day(1), True), (world.orgs["powergen"], day(1), False),
                                   (world.orgs["powergen"], day(5), True)])


def test_object_refs_resolve_only_among_the_pushers_own_objects(client, world, collections):
    cid = collections["inbox-energy"]
    hidden = indicator("203.0.113.66", marking=TLP_AMBER)
    push(client, world, "powergen", cid, hidden)
    probe = Differential(secret=hidden["id"], control=new_id())

    def gridco_reports_and_reads_its_incident(ref):
        name = f"Scanning of our substations, see {ref}"
        report = {"type": "report", "spec_version": "2.1", "id": new_id("report"), "created": ts(6),
                  "modified": ts(6), "name": name, "published": ts(6), "report_types": ["incident"],
                  "object_refs": [ref], "object_marking_refs": [TLP_AMBER]}
        push(client, world, "gridco", cid, report)
        api = {"Authorization": f"Bearer {world.key('gridco')}"}
        (mine,) = [i for i in client.get("/api/v1/incidents", headers=api).json["items"] if i["title"] == name]
        detail = client.get(f"/api/v1/incidents/{mine['reference']}", headers=api)
        return detail.status_code, detail.json

    probe.assert_same(gridco_reports_and_reads_its_incident)


def test_the_real_taxii_client_gets_its_own_copy_stored(world, collections):
    cid, stix_id = collections["inbox-energy"], new_id()
    with running_server(world.runtime) as base:
        def inbox(org):
            return Collection(f"{base}/taxii2/ncert/collections/{cid}/", user=org, password=world.key(org))

        inbox("powergen").add_objects(envelope(indicator("203.0.113.66", ident=stix_id, marking=TLP_AMBER)))
        status = inbox("gridco").add_objects(envelope(indicator("203.0.113.66", ident=stix_id, marking=TLP_AMBER)))
        assert (status.success_count, status.successes[0]["message"]) == (1, "stored")
        got = inbox("gridco").get_object(stix_id)
        assert [o["id"] for o in got["objects"]] == [stix_id]
