"""Issue 11, indicators: GET /indicators/<type>/<value>, the national false-positive mark,
POST /indicators/extract, and ?q= matching indicator values, as each caller may see them."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from ncert.models import AuditEvent
from tests.differential import Differential

C2 = "198.51.100.20"  # documentation addresses are on no warninglist (ncert.warninglists.STAND_INS)


def _one(api, who: str, kind: str, value: str):
    return api.get(f"/indicators/{kind}/{quote(value, safe='')}", who)


def test_national_staff_see_every_carrier_sectors_and_sightings_an_analyst_what_it_may_see(api):
    ioc = [{"type": "ipv4-addr", "value": C2, "confidence": 40, "first_seen": "2026-01-05T00:00:00Z"}]
    own = api.submit("gridco", title="Beacon", tlp="TLP:AMBER", indicators=ioc)["reference"]
    green = api.submit("centralbank", title="Beacon too", tlp="TLP:GREEN",
                       indicators=[{**ioc[0], "confidence": 60, "first_seen": "2026-01-03T00:00:00Z"}])["reference"]
    hidden = api.submit("powergen", title="Quiet beacon", tlp="TLP:RED",
                        indicators=[{**ioc[0], "confidence": 95, "first_seen": "2025-06-01T00:00:00Z"}])["reference"]

    national = _one(api, "operator", "ipv4-addr", C2).json
    assert national["incidents"] == [hidden, green, own] and national["incident_count"] == 3
    assert national["sectors"] == ["energy", "finance"] and national["confidence"] == 95
    assert national["first_seen"].startswith("2025-06-01")
    assert {s["org"] for s in national["sightings"]} == {"gridco", "centralbank", "powergen"}
    assert national["warninglists"] == [] and national["false_positive"] is False

    analyst = _one(api, "gridco", "ipv4-addr", C2).json
    assert analyst["incidents"] == [green, own] and analyst["incident_count"] == 2
    assert analyst["sectors"] == ["energy", "finance"] and analyst["confidence"] == 60
    assert analyst["first_seen"].startswith("2026-01-03")
    assert [s["org"] for s in analyst["sightings"]] == ["gridco"]
    assert analyst["false_positive_detail"] is None


def test_a_value_nothing_visible_carries_is_a_404_and_a_bad_one_a_422(api):
    api.submit("powergen", title="Hidden", tlp="TLP:RED", indicators=[{"type": "ipv4-addr", "value": C2}])
    assert _one(api, "gridco", "ipv4-addr", C2).status_code == 404
    assert _one(api, "gridco", "ipv4-addr", "198.51.100.21").status_code == 404
    assert _one(api, "operator", "ipv4-addr", C2).status_code == 200
    bad = _one(api, "gridco", "ipv4-addr", "not-an-ip")
    assert bad.status_code == 422 and bad.json["error"] and "IPv4" in bad.json["detail"]
    assert _one(api, "gridco", "colour", "red").status_code == 422


def test_a_defanged_url_value_is_found_in_the_path(api):
    url = "https://login-update.com/verify?id=7"
    api.submit("gridco", indicators=[{"type": "url", "value": url}])
    assert _one(api, "gridco", "url", url).json["value"] == url
    assert _one(api, "gridco", "url", "hxxps://login-update[.]com/verify?id=7").json["value"] == url
    unquoted = api.client.get("/api/v1/indicators/url/https://login-update.com/verify%3Fid=7",
                              headers={"Authorization": f"Bearer {api.key('gridco')}"})
    assert unquoted.status_code == 200, unquoted.data


def test_every_indicator_json_names_its_warninglists_and_false_positive_mark(api):
    ref = api.submit("gridco", indicators=[{"type": "ipv4-addr", "value": "8.8.8.8"},
                                           {"type": "ipv4-addr", "value": C2}])["reference"]
    listed = {i["value"]: i for i in api.get(f"/incidents/{ref}", "gridco").json["indicators"]}
    assert "public-dns-v4" in listed["8.8.8.8"]["warninglists"]
    assert listed[C2]["warninglists"] == [] and listed[C2]["false_positive"] is False
    assert "public-dns-v4" in _one(api, "gridco", "ipv4-addr", "8.8.8.8").json["warninglists"]


def test_operators_mark_a_false_positive_with_a_reason_audited_and_analysts_see_only_the_mark(api, world):
    ref = api.submit("gridco", tlp="TLP:GREEN", indicators=[{"type": "ipv4-addr", "value": C2}])["reference"]
    path = f"/indicators/ipv4-addr/{C2}/false-positive"
    assert api.post(path, "gridco", {"reason": "ours"}).status_code == 403
    assert api.post(path, "operator", {"reason": ""}).status_code == 422
    marked = api.post(path, "operator", {"reason": "GridCo's own mail relay"})
    assert marked.status_code == 200, marked.json
    assert marked.json["false_positive"] is True
    assert marked.json["false_positive_detail"]["reason"] == "GridCo's own mail relay"

    [seen] = api.get(f"/incidents/{ref}", "gridco").json["indicators"]
    assert seen["false_positive"] is True
    analyst = _one(api, "gridco", "ipv4-addr", C2).json
    assert analyst["false_positive"] is True and analyst["false_positive_detail"] is None

    cleared = api.post(path + "/clear", "operator", {"reason": "relay retired"})
    assert cleared.json["false_positive"] is False
    with world.runtime.sessions() as s:
        actions = [e.action for e in s.query(AuditEvent).filter(AuditEvent.object_type == "indicator")
                   .order_by(AuditEvent.id)]
    assert actions == ["indicator.false-positive", "indicator.false-positive-cleared"]
    assert api.post("/indicators/ipv4-addr/198.51.100.99/false-positive", "operator",
                    {"reason": "x"}).status_code == 404


def test_extract_types_and_refangs_the_indicators_of_free_text(api):
    text = ("From: it-support@corp-mail.com\nLog in at hxxps://login-update[.]com/verify?id=7 now.\n"
            "C2 198.51.100[.]20, resolver 8.8.8.8, net 10.20.0.0/16, file "
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 (CVE-2024-3094), evil-cdn.net")
    response = api.post("/indicators/extract", "gridco", {"text": text})
    assert response.status_code == 200, response.json
    found = {(i["type"], i["value"]): i["warninglists"] for i in response.json["indicators"]}
    assert set(found) == {
        ("email-addr", "it-support@corp-mail.com"), ("url", "https://login-update.com/verify?id=7"),
        ("ipv4-addr", "198.51.100.20"), ("ipv4-addr", "8.8.8.8"), ("ipv4-addr", "10.20.0.0/16"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("cve", "CVE-2024-3094"), ("domain-name", "evil-cdn.net")}
    assert "rfc1918" in found[("ipv4-addr", "10.20.0.0/16")] and found[("ipv4-addr", "198.51.100.20")] == []
    assert api.post("/indicators/extract", "gridco", {"text": "x" * 200_001}).status_code == 422


@pytest.mark.parametrize("q", ["198.51.100.20", "198.51.100[.]20", "198.51.100.0/24", "198.51.100.16/28"])
def test_q_matches_the_incidents_carrying_a_value_exact_refanged_or_inside_a_cidr(api, q):
    carrier = api.submit("gridco", title="Beacon", indicators=[{"type": "ipv4-addr", "value": C2}])["reference"]
    api.submit("gridco", title="Elsewhere", indicators=[{"type": "ipv4-addr", "value": "203.0.113.40"}])
    refs = [i["reference"] for i in api.get("/incidents", "gridco", query_string={"q": q}).json["items"]]
    assert refs == [carrier]


def test_q_matches_hashes_of_every_length_and_still_matches_text(api):
    hashes = {"md5": "a" * 32, "sha1": "b" * 40, "sha256": "c" * 64, "sha512": "d" * 128}
    refs = {kind: api.submit("gridco", title=f"File {kind}", indicators=[{"type": kind, "value": v}])["reference"]
            for kind, v in hashes.items()}
    for kind, value in hashes.items():
        found = api.get("/incidents", "gridco", query_string={"q": value.upper()}).json["items"]
        assert [i["reference"] for i in found] == [refs[kind]]
    titled = api.get("/incidents", "gridco", query_string={"q": "File"}).json["items"]
    assert len(titled) == 4


def test_q_never_matches_through_a_report_the_caller_cannot_see(api):
    hidden = api.submit("powergen", title="Red beacon", tlp="TLP:RED",
                        indicators=[{"type": "ipv4-addr", "value": C2}])["reference"]
    assert api.get("/incidents", "gridco", query_string={"q": C2}).json["items"] == []
    national = api.get("/incidents", "operator", query_string={"q": C2, "counts": "true"}).json
    assert [i["reference"] for i in national["items"]] == [hidden] and national["counts"]["new"] == 1


def test_a_hidden_report_of_the_same_value_changes_nothing_an_analyst_gets(api):
    secret, control = "198.51.100.66", "198.51.100.70"  # in different /31s
    api.submit("powergen", title="Hidden", tlp="TLP:RED", indicators=[{"type": "ipv4-addr", "value": secret}])

    def fetch(value: str):
        ref = api.submit("gridco", title="Mine", tlp="TLP:AMBER",
                         indicators=[{"type": "ipv4-addr", "value": value}])["reference"]
        views = [_one(api, "gridco", "ipv4-addr", value).json,
                 api.get("/incidents", "gridco", query_string={"q": value, "counts": "true"}).json,
                 api.get("/incidents", "gridco", query_string={"q": f"{value}/31"}).json,
                 api.get(f"/incidents/{ref}", "gridco").json["indicators"]]
        return views

    Differential(secret, control).assert_same(fetch)


def exercise(check, api) -> None:
    """test_openapi's tour of the indicator operations: a success and an error each, against the documented schemas."""
    from tests.api.helpers import PREFIX, bearer

    c, op_key, an_key = api.client, bearer(api.key("operator")), bearer(api.key("gridco"))
    api.submit("gridco", tlp="TLP:GREEN", indicators=[{"type": "ipv4-addr", "value": "198.51.100.201"}])
    one, here = f"{PREFIX}/indicators/{{type}}/{{value}}", f"{PREFIX}/indicators/ipv4-addr/198.51.100.201"
    check(one, "get", c.get(here, headers=an_key))
    check(one, "get", c.get(f"{PREFIX}/indicators/ipv4-addr/198.51.100.202", headers=an_key))  # 404
    check(one, "get", c.get(f"{PREFIX}/indicators/ipv4-addr/nope", headers=an_key))  # 422
    mark = f"{PREFIX}/indicators/{{type}}/{{value}}/false-positive"
    check(mark, "post", c.post(f"{here}/false-positive", json={"reason": "a lab"}, headers=op_key))
    check(mark, "post", c.post(f"{here}/false-positive", json={"reason": "a lab"}, headers=an_key))  # 403
    clear = f"{PREFIX}/indicators/{{type}}/{{value}}/false-positive/clear"
    check(clear, "post", c.post(f"{here}/false-positive/clear", json={}, headers=op_key))
    check(clear, "post", c.post(f"{here}/false-positive/clear", json={}, headers=an_key))  # 403
    extract = f"{PREFIX}/indicators/extract"
    check(extract, "post", c.post(extract, json={"text": "see 198.51.100[.]7"}, headers=an_key))
    check(extract, "post", c.post(extract, json={"text": 7}, headers=an_key))  # 422
