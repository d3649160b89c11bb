"""Playbook side effects: what national correlation changes stays national.

Another organisation's hidden (TLP:AMBER) report of the secret value makes the
phishing-wave or cross-sector playbook fire on the prober's report of it: the
national severity rises, tasks, e-mails, a national incident and internal notes
follow. The prober's view of its report (REST detail, the queue filtered and
sorted by severity, the console page and queue, the STIX export) must be the
same as for the control value nobody else reported.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.models import Incident, PlaybookFiring
from tests.api.helpers import refs
from tests.console.helpers import queue_refs
from tests.differential import Differential
from tests.playbooks.conftest import library  # noqa: F401  (the default library with detection)

DOMAIN = Differential(secret="login-secure-verify.example", control="login-secure-check.example")
C2 = Differential(secret="203.0.113.66", control="203.0.113.67")


def _views(api, as_user, reference: str) -> dict:
    """Everything gridco can read about its own report, through each door. Queue
    pages are read for this report's row and rank only: the other probe's report
    is in them too."""
    console = as_user("analyst@gridco.test")
    page = console.text(f"/incidents/{reference}")
    listed = api.get("/incidents?sort=-severity", "gridco").json["items"]
    return {
        "rest": api.get(f"/incidents/{reference}", "gridco").json,
        "rest-rank": [item["reference"] for item in listed].index(reference),
        "rest-row": [item for item in listed if item["reference"] == reference],
        "rest-high": reference in refs(api.get("/incidents?severity_min=2", "gridco").json),
        "stix": [o for o in api.get(f"/incidents/{reference}/stix", "gridco").json["objects"]
                 if o["type"] not in ("identity", "marking-definition")],
        "console": page[page.index("<main"):],
        "console-rank": queue_refs(console.get("/queue?sort=severity&order=desc")).index(reference),
        "console-high": reference in queue_refs(console.get("/queue?severity=2")),
    }


def _fired(world, reference: str) -> set[str]:
    with world.runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == reference))
        return set(s.scalars(select(PlaybookFiring.playbook).where(PlaybookFiring.incident_id == incident.id)))


@pytest.mark.usefixtures("library")
def test_a_phishing_wave_made_by_a_hidden_report_changes_nothing_the_reporter_sees(api, as_user, world):
    api.submit("centralbank", title="Credential phishing", tlp="TLP:AMBER", category="fraud/phishing",
               indicators=[{"type": "domain-name", "value": DOMAIN.secret}])
    probed = {}

    def probe(value: str) -> dict:
        probed[value] = api.submit("gridco", title="Phishing e-mail to field engineers", tlp="TLP:GREEN",
                                 category="fraud/phishing",
                                 indicators=[{"type": "domain-name", "value": value}])["reference"]
        return _views(api, as_user, probed[value])

    DOMAIN.assert_same(probe)
    # The probe is a real one: the hidden report did make the playbook fire nationally.
    assert "phishing-wave" in _fired(world, probed[DOMAIN.secret])
    assert "phishing-wave" not in _fired(world, probed[DOMAIN.control])
    national = api.get(f"/incidents/{probed[DOMAIN.secret]}", "operator").json
    assert national["severity"] == 2 and national["communicated_severity"] == 1
    assert any(e["kind"] == "playbook" for e in national["timeline"])


@pytest.mark.usefixtures("library")
def test_a_cross_sector_campaign_made_by_hidden_reports_changes_nothing_the_reporter_sees(api, as_user, world):
    for who, extra in (("centralbank", {}), ("operator", {"reporter_org": "cityhospital"})):
        api.submit(who, title="Beacon to C2", tlp="TLP:AMBER", category="malicious-code/c2-server",
                   indicators=[{"type": "ipv4-addr", "value": C2.secret}], **extra)
    probed = {}

    def probe(value: str) -> dict:
        probed[value] = api.submit("gridco", title="Beacon to C2", tlp="TLP:GREEN", category="malicious-code/c2-server",
                                 indicators=[{"type": "ipv4-addr", "value": value}])["reference"]
        return _views(api, as_user, probed[value])

    C2.assert_same(probe)
    assert "cross-sector-indicator" in _fired(world, probed[C2.secret])
    assert _fired(world, probed[C2.control]) == set()
    assert api.get(f"/incidents/{probed[C2.secret]}", "operator").json["severity"] == 3


@pytest.mark.parametrize("hint", [None, 4])
def test_an_operator_decides_what_the_reporter_is_told(api, as_user, hint):
    ref = api.submit("gridco", title="Outage", **({"severity": hint} if hint else {}))["reference"]
    told = 1 if hint is None else hint
    assert api.get(f"/incidents/{ref}", "gridco").json["severity"] == told
    api.triage(ref, severity=5)  # national: the reporter's view does not move
    reporter = api.get(f"/incidents/{ref}", "gridco").json
    assert (reporter["severity"], reporter["severity_hint"]) == (told, hint)
    assert "severity" not in [e["kind"] for e in reporter["timeline"]]
    api.triage(ref, communicated_severity=3, reason="confirmed by the national centre")
    reporter = api.get(f"/incidents/{ref}", "gridco").json
    assert reporter["severity"] == 3 and reporter["timeline"][-1]["body"].endswith("confirmed by the national centre")
    assert api.get(f"/incidents/{ref}", "operator").json["severity"] == 5
    page = as_user("analyst@gridco.test").text(f"/incidents/{ref}")
    assert '<dd id="fact-severity"><span class="sev sev-3"' in page and "sev-5" not in page


def test_the_console_tells_the_reporter_only_on_an_operators_decision(as_user):
    gridco = as_user("analyst@gridco.test")
    ref = gridco.post("/submit", data={"title": "Outage", "tlp": "TLP:GREEN", "severity": "2"}).headers[
        "Location"].rsplit("/", 1)[1]
    operator = as_user("operator@ncert.test")
    operator.post(f"/incidents/{ref}/triage", data={"triage-severity": "4"})  # the one triage form
    assert '<dd id="fact-severity"><span class="sev sev-2"' in gridco.text(f"/incidents/{ref}")
    operator.post(f"/incidents/{ref}/triage", data={"triage-communicated": "4"})
    assert '<dd id="fact-severity"><span class="sev sev-4"' in gridco.text(f"/incidents/{ref}")
