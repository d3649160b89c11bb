"""``/api/v1/risks`` and ``/api/v1/incidents/<ref>/risks/<risk>`` through the Flask
test client: the register's reads and writes, who may do what, history and
diffs, links, and the trust boundary (a shared risk's owner sees nothing that
depends on reports it cannot see); ``exercise`` also feeds test_openapi's
document-wide check."""

from __future__ import annotations

from sqlalchemy import select

from ncert.db import transaction
from ncert.models import RiskVersion
from ncert.services import risk_evidence
from tests.api.helpers import PREFIX, bearer
from tests.differential import Differential


def scored(likelihood: int = 2, impact: int = 4) -> dict:
    score = {"likelihood": likelihood, "impact": impact, "rationale": "from the sector's exercises"}
    return {"inherent": score, "current": score, "residual": {**score, "likelihood": 1}}


def risk_body(**fields) -> dict:
    return {"title": "Ransomware at grid operators", "scenario": "A ransomware group locks SCADA servers",
            "owner": {"org": "gridco", "person": "Deputy Head", "email": "deputy@gridco.test"},
            "sectors": ["energy"], "essential_services": ["electricity transmission"],
            "threat": {"rsit": ["malicious-code"], "attack": ["T1486"]}, "vulnerabilities": ["flat OT network"],
            "controls": ["offline backups"], "assessment": scored(), **fields}


def create(api, who="operator", **fields) -> dict:
    response = api.post("/risks", who, risk_body(**fields))
    assert response.status_code == 201, response.json
    return response.json


def exercise(check, api) -> None:
    """Every risk operation with a success and at least one error (test_openapi's Checker)."""
    c, op, leader, gridco = (api.client, bearer(api.key("operator")), bearer(api.key("leader")),
                             bearer(api.key("gridco")))
    listing, one = f"{PREFIX}/risks", f"{PREFIX}/risks/{{risk_reference}}"
    history, link = f"{one}/history", f"{PREFIX}/incidents/{{reference}}/risks/{{risk_reference}}"
    ref = check(listing, "post", c.post(listing, json=risk_body(), headers=op))["reference"]
    check(listing, "post", c.post(listing, json=risk_body(), headers=leader))  # 403
    check(listing, "post", c.post(listing, json={**risk_body(), "reference": ref}, headers=op))  # 409
    check(listing, "post", c.post(listing, json={"title": "No owner"}, headers=op))  # 422
    check(listing, "get", c.get(listing, headers=leader, query_string={"sector": "energy"}))
    check(listing, "get", c.get(listing, headers=leader, query_string={"status": "nope"}))  # 400
    check(one, "get", c.get(f"{listing}/{ref}", headers=leader))
    check(one, "get", c.get(f"{listing}/{ref}", headers=gridco))  # 404: not shared
    check(one, "patch", c.patch(f"{listing}/{ref}", json={"reason": "share", "shared_with_owner": True},
                                headers=op))
    check(one, "patch", c.patch(f"{listing}/{ref}", json={"reason": "x", "title": "Mine"}, headers=gridco))  # 403
    check(history, "get", c.get(f"{listing}/{ref}/history", headers=gridco, query_string={"from": 1, "to": 2}))
    check(history, "get", c.get(f"{listing}/{ref}/history", headers=op, query_string={"from": 1}))  # 400
    incident = api.submit("gridco", title="Locked HMI", category="malicious-code/infected-system")["reference"]
    path = f"{PREFIX}/incidents/{incident}/risks/{ref}"
    check(link, "post", c.post(path, headers=op))
    check(link, "post", c.post(path, headers=gridco))  # 403
    check(link, "delete", c.delete(path, headers=op))
    check(link, "delete", c.delete(f"{PREFIX}/incidents/{incident}/risks/R-2026-9999", headers=op))  # 404


def test_create_read_change_and_compare_versions(api):
    created = create(api)
    ref = created["reference"]
    assert created["version"] == 1 and created["status"] == "assessed"
    assert created["current"] == {"likelihood": 2, "impact": 4, "level": "medium"}
    assert created["assessment"]["matrix"]["cells"][1][3] == "medium"
    got = api.get(f"/risks/{ref}", "leader")
    assert got.status_code == 200 and got.json["signals"]["assessed_likelihood"] == 2

    changed = api.patch(f"/risks/{ref}", "admin", {"reason": "CERT advisory on grid ransomware",
                                                    "assessment": scored(4, 5), "treatment": {
                                                        "strategy": "mitigate", "actions": [
                                                            {"title": "Segment OT", "owner": "CISO",
                                                             "due": "2027-03-31", "status": "in_progress"}]},
                                                    "status": "in_treatment"})
    assert changed.status_code == 200, changed.json
    assert (changed.json["version"], changed.json["current"]["level"]) == (2, "critical")
    history = api.get(f"/risks/{ref}/history", "leader", query_string={"from": 1, "to": 2}).json
    assert [(v["version"], v["reason"]) for v in history["versions"]] == [
        (1, "created"), (2, "CERT advisory on grid ransomware")]
    diff = {c["field"]: (c["before"], c["after"]) for c in history["diff"]}
    assert diff["status"] == ("assessed", "in_treatment")
    assert diff["assessment.current.likelihood"] == (2, 4)
    assert history["versions"][1]["changes"] == history["diff"]
    assert api.get(f"/risks/{ref}/history", "leader", query_string={"from": 1, "to": 7}).status_code == 404


def test_who_reads_and_writes_the_register(api):
    private = create(api)["reference"]
    shared = create(api, title="Shared with GridCo", shared_with_owner=True)["reference"]
    for who in ("leader", "admin", "operator"):
        assert [r["reference"] for r in api.get("/risks", who).json["items"]] == [private, shared]
    assert [r["reference"] for r in api.get("/risks", "gridco").json["items"]] == [shared]
    assert api.get("/risks", "powergen").json["items"] == []
    assert api.get(f"/risks/{private}", "gridco").status_code == 404
    assert api.get(f"/risks/{private}/history", "gridco").status_code == 404
    assert api.patch(f"/risks/{private}", "gridco", {"reason": "x", "title": "y"}).status_code == 404
    own = api.get(f"/risks/{shared}", "gridco")
    assert own.status_code == 200 and own.json["signals"] is None and own.json["review_suggested"] is None
    assert api.patch(f"/risks/{shared}", "gridco", {"reason": "x", "title": "y"}).status_code == 403
    assert api.patch(f"/risks/{shared}", "leader", {"reason": "x", "title": "y"}).status_code == 403
    assert api.post("/risks", "leader", risk_body()).status_code == 403
    assert api.post("/risks", "gridco", risk_body()).status_code == 403


def test_bad_input_is_a_clear_422(api):
    ref = create(api)["reference"]
    for body, message in (({"title": "x"}, "reason"),
                          ({"reason": "x", "threat": {"rsit": ["hacking"]}}, "unknown RSIT class"),
                          ({"reason": "x", "threat": {"attack": ["X1486"]}}, "attack"),
                          ({"reason": "x", "treatment": {"strategy": "accept"}}, "needs an acceptance"),
                          ({"reason": "x", "status": "accepted"}, "needs the 'accept' treatment"),
                          ({"reason": "x", "sectors": ["space"]}, "no sector 'space'"),
                          ({"reason": "x", "assessment": {"current": {"likelihood": 6}}}, "assessment")):
        response = api.patch(f"/risks/{ref}", "operator", body)
        assert response.status_code == 422 and message in str(response.json), (body, response.json)


def test_operators_link_incidents_and_only_national_staff_see_the_links(api):
    ref = create(api, shared_with_owner=True)["reference"]
    incident = api.submit("gridco", title="Locked HMI", category="malicious-code/infected-system")["reference"]
    hidden = api.submit("powergen", title="Hidden", tlp="TLP:AMBER")["reference"]
    path = f"/incidents/{incident}/risks/{ref}"
    first = api.post(path, "operator")
    assert (first.status_code, first.json) == (201, {"incident": incident, "risks": [ref], "changed": True})
    assert api.post(path, "operator").status_code == 200
    assert api.get(f"/risks/{ref}", "operator").json["signals"]["linked_incidents"] == [incident]
    assert api.get(f"/risks/{ref}", "gridco").json["signals"] is None
    assert api.post(path, "gridco").status_code == 403
    assert api.post(f"/incidents/{hidden}/risks/{ref}", "gridco").status_code == 404
    timeline = api.get(f"/incidents/{incident}", "gridco").json["timeline"]
    assert not [e for e in timeline if ref in str(e)]
    gone = api.client.delete(f"{PREFIX}{path}", headers=bearer(api.key("operator")))
    assert (gone.status_code, gone.json["risks"], gone.json["changed"]) == (200, [], True)


def test_a_shared_risks_owner_sees_nothing_that_depends_on_reports_it_cannot_see(api, world):
    """Evidence, observed likelihood and drift count every matching report; the owner
    organisation's view of its shared risk must not move with a report hidden from it."""
    probe = Differential(secret="c2.secret-grid.example", control="c2.control-grid.example")
    refs = {}
    for value in (probe.secret, probe.control):
        refs[value] = create(api, title="C2 in the grid", shared_with_owner=True,
                             evidence={"indicators": [{"type": "domain-name", "value": value}]})["reference"]
        api.submit("gridco", title="Beacon", category="malicious-code/infected-system",
                   indicators=[{"type": "domain-name", "value": value}])
    for _ in range(4):  # hidden from gridco: powergen's TLP:AMBER reports of the secret domain
        api.submit("powergen", title="Beacon", category="malicious-code/infected-system", tlp="TLP:AMBER",
                   indicators=[{"type": "domain-name", "value": probe.secret}])
    with transaction(world.runtime.sessions) as s:
        risk_evidence.check_drift(s, world.admin, 1)

    def seen_by(who):
        def fetch(value):
            ref = refs[value]
            listed = [r for r in api.get("/risks", who).json["items"] if r["reference"] == ref]
            return [listed, api.get(f"/risks/{ref}", who).json, api.get(f"/risks/{ref}/history", who).json]
        return fetch

    probe.assert_same(seen_by("gridco"), refs[probe.secret], refs[probe.control])
    national = [seen_by("operator")(v)[1]["signals"]["yearly_count"] for v in (probe.secret, probe.control)]
    assert national == [5, 1]  # the probe is sensitive: national staff do see the hidden reports


def test_a_rejected_change_writes_no_version(api, world):
    ref = create(api)["reference"]
    response = api.patch(f"/risks/{ref}", "admin", {"reason": "owner moved", "owner": {"team": "ot-desk",
                                                                                      "person": "X"}})
    assert response.status_code == 422 and "no team 'ot-desk'" in response.json["detail"]
    with world.runtime.sessions() as s:
        assert s.scalars(select(RiskVersion.version)).all() == [1]
