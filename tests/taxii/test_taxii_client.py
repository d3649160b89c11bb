"""The real OASIS taxii2-client, unchanged, against a running ncert serve."""

import pytest
import requests
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from ncert.taxonomy import Role
from tests.serving import running_server
from tests.taxii.stix_data import envelope, indicator, ts


@pytest.fixture
def server(world, collections):
    with running_server(world.runtime) as base:
        yield base


def _collection(base, cid, key) -> Collection:
    return Collection(f"{base}/taxii2/ncert/collections/{cid}/", user="sector-cert", password=key)


def test_discovery_and_api_root(server, world):
    srv = Server(f"{server}/taxii2/", user="anyone", password=world.key("gridco"))
    assert srv.title and srv.default.url == f"{server}/taxii2/ncert/"
    root = srv.api_roots[0]
    assert "application/taxii+json;version=2.1" in root.versions and root.max_content_length > 0


def test_collections_are_listed_per_caller(server, world, collections):
    def listed(key):
        root = ApiRoot(f"{server}/taxii2/ncert/", auth=TokenAuth(key))
        return {c.alias: (c.can_read, c.can_write) for c in root.collections}

    assert listed(world.key("gridco")) == {"inbox-energy": (True, True)}
    assert listed(world.key("energy-cert")) == {"inbox-energy": (True, True),
                                                "national-sector-certs": (True, False)}
    assert listed(world.key("partner-cert")) == {"national-partners": (True, False)}
    staff = listed(world.key("national-cert", Role.SOC_OPERATOR))
    assert staff["national-partners"] == (True, True) and staff["inbox-finance"] == (True, True)


def test_push_with_status_then_page_back(server, world, collections):
    col = _collection(server, collections["inbox-energy"], world.key("gridco"))
    objs = [indicator(f"198.51.100.{i}") for i in range(1, 26)]
    status = col.add_objects(envelope(*objs), wait_for_completion=True, poll_interval=0.1)
    assert (status.status, status.total_count, status.success_count, status.failure_count) == ("complete", 25, 25, 0)
    again = ApiRoot(f"{server}/taxii2/ncert/", auth=TokenAuth(world.key("gridco"))).get_status(status.id)
    assert again.success_count == 25
    got = []
    for page in as_pages(col.get_objects, per_request=10):
        got += [o["id"] for o in page.get("objects", [])]
    assert got == [o["id"] for o in objs]
    manifest = col.get_manifest()
    assert [m["id"] for m in manifest["objects"]] == got
    assert all(m["media_type"] == "application/stix+json;version=2.1" for m in manifest["objects"])


def test_filters_versions_and_single_objects(server, world, collections):
    col = _collection(server, collections["inbox-energy"], world.key("gridco"))
    ident = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    col.add_objects(envelope(indicator("203.0.113.5", ident=ident, day=1)), poll_interval=0.1)
    col.add_objects(envelope(indicator("203.0.113.5", ident=ident, day=2),
                             indicator("evil.example.com", kind="domain-name")), poll_interval=0.1)
    assert col.object_versions(ident)["versions"] == [ts(1).replace(".000Z", ".000000Z"),
                                                      ts(2).replace(".000Z", ".000000Z")]
    latest = col.get_object(ident)["objects"]
    assert [o["modified"] for o in latest] == [ts(2)]
    every = col.get_object(ident, version="all")["objects"]
    assert [o["modified"] for o in every] == [ts(1), ts(2)]
    assert [o["modified"] for o in col.get_object(ident, version="first")["objects"]] == [ts(1)]
    assert len(col.get_objects(type="indicator")["objects"]) == 2
    assert col.get_objects(type="malware") == {}
    only = col.get_objects(id=ident)["objects"]
    assert [o["id"] for o in only] == [ident]
    assert col.get_objects(spec_version="2.0") == {}


def test_admin_deletes_and_analyst_cannot(server, world, collections):
    cid = collections["inbox-energy"]
    ident = "indicator--1f0f6b0a-8f35-4b40-9d0a-6c39c1b46a60"
    _collection(server, cid, world.key("gridco")).add_objects(envelope(indicator("192.0.2.99", ident=ident)),
                                                              poll_interval=0.1)
    with pytest.raises(requests.HTTPError) as refused:
        _collection(server, cid, world.key("gridco")).delete_object(ident)
    assert refused.value.response.status_code == 403
    admin = _collection(server, cid, world.key("national-cert", Role.ADMIN))
    admin.delete_object(ident)
    with pytest.raises(requests.HTTPError) as gone:
        admin.get_object(ident)
    assert gone.value.response.status_code == 404


def test_wrong_key_is_refused(server, collections):
    with pytest.raises(requests.HTTPError) as err:
        _collection(server, collections["inbox-energy"], "ncert_00000000_nope").get_objects()
    assert err.value.response.status_code == 401
