"""The incident detail's ``risks`` field (issue 10): the linked risks' references for
national staff, null for everyone else, whatever the links; on SQLite and PostgreSQL."""

from __future__ import annotations

from ncert.db import transaction
from ncert.services import risks
from ncert.services.risk_records import RiskInput
from tests.differential import Differential


def new_risk(api, title: str) -> str:
    data = {"title": title, "owner": {"org": "gridco", "person": "Lars Ekdahl"}, "sectors": ["energy"]}
    with transaction(api.world.runtime.sessions) as s:
        return risks.create(s, api.world.operator, RiskInput.model_validate(data)).reference


def test_national_staff_get_the_linked_risks_and_everyone_else_null(api):
    incident = api.submit("gridco", title="Locked HMI", category="malicious-code/infected-system")["reference"]
    first, second = new_risk(api, "OT intrusion"), new_risk(api, "Grid ransomware")
    detail = f"/incidents/{incident}"
    assert api.get(detail, "operator").json["risks"] == []
    for risk in (second, first):
        assert api.post(f"/incidents/{incident}/risks/{risk}", "operator").status_code == 201
    for who in ("operator", "admin", "leader"):
        assert api.get(detail, who).json["risks"] == [first, second], who
    assert api.get(detail, "gridco").json["risks"] is None


def test_the_reporters_detail_does_not_change_with_a_link(api):
    probe = Differential(secret="Secret grid risk 4711", control="Control grid risk 4712")

    def fetch(value: str):
        incident = api.submit("gridco", title="Beacon", category="malicious-code/infected-system")["reference"]
        risk = new_risk(api, f"Risk {value}")
        if value == probe.secret:
            assert api.post(f"/incidents/{incident}/risks/{risk}", "operator").status_code == 201
        return api.get(f"/incidents/{incident}", "gridco").json

    probe.assert_same(fetch)
