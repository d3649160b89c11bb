"""TAXII 2.1 wire behaviour through the Flask test client: headers, errors,
paging, idempotence, versioning, revocation and TLP on every collection."""

import base64
import dataclasses

import orjson
import pytest
from sqlalchemy import func, select

from ncert.models import AuditEvent, Indicator, StixObject, TaxiiStatus
from ncert.taxonomy import Role
from tests.taxii.stix_data import TLP_AMBER, envelope, indicator, ts

TAXII = "application/taxii+json;version=2.1"


def hdrs(key, **extra):
    return {"Authorization": f"Bearer {key}", "Accept": TAXII, **extra}


def url(cid, tail="objects/"):
    return f"/taxii2/ncert/collections/{cid}/{tail}"


def push(client, key, cid, *objects, raw=None, content_type=TAXII):
    body = raw if raw is not None else orjson.dumps(envelope(*objects))
    return client.post(url(cid), data=body, headers=hdrs(key, **{"Content-Type": content_type}))


def counts(world):
    with world.runtime.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (StixObject, TaxiiStatus, AuditEvent,
                                                                            Indicator))


def test_every_response_is_taxii_json_with_date_headers(client, world, collections):
    key, cid = world.key("gridco"), collections["inbox-energy"]
    r = push(client, key, cid, indicator("198.51.100.1"), indicator("198.51.100.2"))
    assert r.status_code == 202 and r.content_type == TAXII
    assert r.json["status"] == "complete" and r.json["success_count"] == 2
    r = client.get(url(cid), headers=hdrs(key))
    assert r.status_code == 200 and r.content_type == TAXII and r.json["more"] is False
    first, last = r.headers["X-TAXII-Date-Added-First"], r.headers["X-TAXII-Date-Added-Last"]
    assert first < last and first.endswith("Z") and len(first) == len("2026-01-01T00:00:00.000000Z")
    for tail in ("manifest/", f"objects/{r.json['objects'][0]['id']}/",
                 f"objects/{r.json['objects'][0]['id']}/versions/"):
        rr = client.get(url(cid, tail), headers=hdrs(key))
        assert rr.status_code == 200 and "X-TAXII-Date-Added-Last" in rr.headers
    err = client.get(url("no-such-collection"), headers=hdrs(key))
    assert err.status_code == 404 and err.content_type == TAXII and err.json["http_status"] == "404"


def test_added_after_from_the_last_header_resumes_paging(client, world, collections):
    key, cid = world.key("gridco"), collections["inbox-energy"]
    push(client, key, cid, *[indicator(f"192.0.2.{i}") for i in range(1, 6)])
    page = client.get(url(cid) + "?limit=2", headers=hdrs(key))
    assert page.json["more"] is True and page.json["next"]
    rest = client.get(url(cid), query_string={"added_after": page.headers["X-TAXII-Date-Added-Last"]},
                      headers=hdrs(key))
    via_next = client.get(url(cid), query_string={"next": page.json["next"]}, headers=hdrs(key))
    assert [o["id"] for o in rest.json["objects"]] == [o["id"] for o in via_next.json["objects"]]
    assert len(rest.json["objects"]) == 3


@pytest.mark.parametrize("accept,status", [
    ("application/taxii+json;version=2.1", 200), ("application/taxii+json", 200), ("*/*", 200),
    ("application/json", 406), ("application/taxii+json;version=2.0", 406), ("text/html", 406),
])
def test_accept_negotiation(client, world, collections, accept, status):
    r = client.get("/taxii2/", headers={"Authorization": f"Bearer {world.key('gridco')}", "Accept": accept})
    assert r.status_code == status and r.content_type == TAXII


@pytest.mark.parametrize("auth", ["basic", "bearer", "token"])
def test_authentication_schemes(client, world, auth):
    key = world.key("gridco")
    header = {"basic": "Basic " + base64.b64encode(f"gridco:{key}".encode()).decode(),
              "bearer": f"Bearer {key}", "token": f"Token {key}"}[auth]
    assert client.get("/taxii2/", headers={"Authorization": header, "Accept": TAXII}).status_code == 200


def test_missing_or_revoked_credentials_are_401(client, world):
    r = client.get("/taxii2/", headers={"Accept": TAXII})
    assert r.status_code == 401 and "Basic" in r.headers["WWW-Authenticate"] and r.json["http_status"] == "401"
    from ncert.db import transaction
    from ncert.services import directory

    key = world.key("gridco")
    with transaction(world.runtime.sessions) as s:
        directory.revoke_api_key(s, world.admin, "_".join(key.split("_")[:2]))
    assert client.get("/taxii2/", headers=hdrs(key)).status_code == 401


@pytest.mark.parametrize("case", ["malformed", "wrong-type", "no-objects", "oversized"])
def test_rejected_pushes_write_nothing(client, world, collections, case):
    key, cid = world.key("gridco"), collections["inbox-energy"]
    before = counts(world)
    good = orjson.dumps(envelope(indicator("198.51.100.50")))
    if case == "malformed":
        r = push(client, key, cid, raw=good[:-5])
        expected = 400
    elif case == "wrong-type":
        r = push(client, key, cid, raw=good, content_type="application/json")
        expected = 415
    elif case == "no-objects":
        r = push(client, key, cid, raw=b'{"type": "bundle"}')
        expected = 400
    else:
        rt = client.application.extensions["ncert"]
        rt.settings = dataclasses.replace(rt.settings, taxii_max_content_length=1024 * 1024)
        huge = envelope(*[indicator(f"10.0.{i // 256}.{i % 256}") for i in range(6_000)])
        r = push(client, key, cid, raw=orjson.dumps(huge))
        expected = 413
    assert r.status_code == expected, r.data
    assert r.content_type == TAXII and r.json["http_status"] == str(expected)
    assert counts(world) == before


def test_one_bad_object_never_loses_the_good_ones(client, world, collections):
    key, cid = world.key("gridco"), collections["inbox-energy"]
    bad_pattern = indicator("198.51.100.9")
    bad_pattern["pattern"] = "[ipv4-addr:value = '198.51.100.9'"
    no_id = indicator("198.51.100.10")
    del no_id["id"]
    r = push(client, key, cid, indicator("198.51.100.11"), bad_pattern, no_id, {"type": "indicator"}, "not an object")
    body = r.json
    assert r.status_code == 202
    assert (body["total_count"], body["success_count"], body["failure_count"]) == (5, 1, 4)
    assert len(body["failures"]) == 4 and all(f["message"] for f in body["failures"])
    assert bad_pattern["id"] in [f["id"] for f in body["failures"]]
    stored = client.get(url(cid), headers=hdrs(key)).json["objects"]
    assert [o["pattern"] for o in stored] == ["[ipv4-addr:value = '198.51.100.11']"]


def test_same_version_is_a_no_op_and_newer_supersedes_and_revoked_ends(client, world, collections):
    key, cid = world.key("gridco"), collections["inbox-energy"]
    v1 = indicator("203.0.113.77", day=1)
    ident = v1["id"]
    push(client, key, cid, v1)
    before = counts(world)
    r = push(client, key, cid, v1)
    assert r.json["success_count"] == 1 and "unchanged" in r.json["successes"][0]["message"]
    assert counts(world)[0] == before[0]
    push(client, key, cid, indicator("203.0.113.77", day=3, ident=ident))
    push(client, key, cid, indicator("203.0.113.77", day=2, ident=ident))  # older arrives late
    latest = client.get(url(cid, f"objects/{ident}/"), headers=hdrs(key)).json["objects"]
    assert [o["modified"] for o in latest] == [ts(3)]
    revoked = indicator("203.0.113.77", day=4, ident=ident, revoked=True)
    push(client, key, cid, revoked)
    latest = client.get(url(cid, f"objects/{ident}/"), headers=hdrs(key)).json["objects"]
    assert latest[0]["revoked"] is True
    versions = client.get(url(cid, f"objects/{ident}/versions/"), headers=hdrs(key)).json["versions"]
    # listed in date_added order (TAXII 2.1 §3.4), so the late older version comes third
    assert [v[8:10] for v in versions] == ["01", "03", "02", "04"]


def test_custom_objects_and_properties_round_trip_verbatim(client, world, collections):
    key, cid = world.key("gridco"), collections["inbox-energy"]
    tactic = {"type": "x-mitre-tactic", "spec_version": "2.1",
              "id": "x-mitre-tactic--4ca45d45-df4d-4613-8980-bac22d278fa5",
              "created": "2018-10-17T00:14:20.652Z", "modified": "2022-04-25T14:00:00.188Z", "name": "Execution",
              "x_mitre_shortname": "execution", "x_mitre_version": "1.0",
              "external_references": [{"external_id": "TA0002", "source_name": "mitre-attack"}],
              "x_mitre_domains": ["enterprise-attack"], "x_mitre_nested": {"a": [1, 2.5, None, True]}}
    ind = indicator("198.51.100.200", x_acme_score=0.75,
                    extensions={"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":
                                {"extension_type": "property-extension", "rank": 5}})
    push(client, key, cid, tactic, ind)
    got = {o["id"]: o for o in client.get(url(cid), headers=hdrs(key)).json["objects"]}
    assert got[tactic["id"]] == tactic and got[ind["id"]] == ind


def test_inbox_members_read_only_their_own(client, world, collections):
    cid = collections["inbox-energy"]
    push(client, world.key("gridco"), cid, indicator("198.51.100.31"))
    push(client, world.key("powergen"), cid, indicator("198.51.100.32"))
    mine = client.get(url(cid), headers=hdrs(world.key("powergen"))).json["objects"]
    assert [o["pattern"] for o in mine] == ["[ipv4-addr:value = '198.51.100.32']"]
    staff = client.get(url(cid), headers=hdrs(world.key("national-cert", Role.SOC_OPERATOR))).json["objects"]
    assert len(staff) == 2
    # another sector's analyst cannot even see the collection
    r = client.get(url(cid), headers=hdrs(world.key("centralbank")))
    assert r.status_code == 404
    r = push(client, world.key("centralbank"), cid, indicator("198.51.100.33"))
    assert r.status_code == 404


def test_national_collections_carry_only_clear_and_green(client, world, collections):
    op = world.key("national-cert", Role.SOC_OPERATOR)
    cid = collections["national-sector-certs"]
    green, amber, unmarked = indicator("198.51.100.41"), indicator("198.51.100.42", marking=TLP_AMBER), \
        indicator("198.51.100.43", marking=None)
    r = push(client, op, cid, green, amber, unmarked)
    assert r.status_code == 202
    for reader in (world.key("energy-cert"), op):
        served = client.get(url(cid), headers=hdrs(reader)).json["objects"]
        assert [o["id"] for o in served] == [green["id"]]
        assert client.get(url(cid, f"objects/{amber['id']}/"), headers=hdrs(reader)).status_code == 404
        manifest = client.get(url(cid, "manifest/"), headers=hdrs(reader)).json["objects"]
        assert [m["id"] for m in manifest] == [green["id"]]
    # the audience reads but cannot write; other kinds cannot see it at all
    assert push(client, world.key("energy-cert"), cid, indicator("198.51.100.44")).status_code == 403
    assert client.get(url(cid), headers=hdrs(world.key("gridco"))).status_code == 404
    assert client.get(url(cid), headers=hdrs(world.key("partner-cert"))).status_code == 404


def test_bad_parameters_are_400(client, world, collections):
    key, cid = world.key("gridco"), collections["inbox-energy"]
    for query in ({"limit": "0"}, {"limit": "ten"}, {"added_after": "yesterday"}, {"next": "bogus"},
                  {"match[version]": "tuesday"}):
        r = client.get(url(cid), query_string=query, headers=hdrs(key))
        assert r.status_code == 400 and r.json["http_status"] == "400", query


def test_status_is_private_to_the_submitter(client, world, collections):
    cid = collections["inbox-energy"]
    status_id = push(client, world.key("gridco"), cid, indicator("198.51.100.60")).json["id"]
    path = f"/taxii2/ncert/status/{status_id}/"
    assert client.get(path, headers=hdrs(world.key("gridco"))).json["id"] == status_id
    assert client.get(path, headers=hdrs(world.key("powergen"))).status_code == 404


def test_large_pushes_are_streamed_with_the_same_answers(client, world, collections, monkeypatch):
    import ncert.taxii.views

    monkeypatch.setattr(ncert.taxii.views, "IN_MEMORY_BODY", 0)  # every body takes the streaming path
    key, cid = world.key("gridco"), collections["inbox-energy"]
    before = counts(world)
    broken = orjson.dumps(envelope(*[indicator(f"198.51.100.{i}") for i in range(1, 40)]))[:-20]
    r = push(client, key, cid, raw=broken)
    assert r.status_code == 400 and counts(world) == before
    r = push(client, key, cid, *[indicator(f"198.51.100.{i}") for i in range(1, 40)])
    assert r.status_code == 202 and r.json["success_count"] == 39


def test_unknown_taxii_urls_answer_taxii_errors(client, world):
    r = client.get("/taxii2/ncert/no-such-endpoint/", headers=hdrs(world.key("gridco")))
    assert r.status_code == 404 and r.content_type == TAXII and r.json["http_status"] == "404"
    r = client.put("/taxii2/ncert/", headers=hdrs(world.key("gridco")))
    assert r.status_code == 405 and r.json["http_status"] == "405"
