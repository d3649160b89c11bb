"""Derived data is data: an organisation's card, its sector CERT's cards and the threat
landscape do not change because of a report their reader cannot see.

The hidden report (PowerGen, TLP:AMBER, in 2026Q2) names the secret CVE, carries a
malware tag, a late NIS2 stage, an unanswered request for information, a critical
level and a national incident shared with GridCo's report. GridCo files the same
report twice, once naming each value, in the two quarters the two values are set in
(the secret's quarter holds the hidden report, the control's holds nothing else), and
every view of it must be the same once the quarter's own labels are set aside.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, MispEvent, NationalIncident, NationalIncidentMember
from tests.api.helpers import PREFIX, bearer
from tests.differential import Differential
from tests.services.kpi_helpers import deadline, place, request

PROBE = Differential(secret="CVE-2026-40001", control="CVE-2026-40002")
QUARTERS = {PROBE.secret: ("2026Q2", datetime(2026, 4, 1, tzinfo=timezone.utc)),
            PROBE.control: ("2025Q2", datetime(2025, 4, 1, tzinfo=timezone.utc))}
EMOTET = 'misp-galaxy:malpedia="Emotet"'


def _story(api, who: str, value: str, start: datetime, **fields) -> str:
    """One incident with everything a card or the landscape reads, placed in the quarter from ``start``."""
    ref = api.submit(who, title="Exploited VPN gateway", category="intrusions/system-compromise",
                     indicators=[{"type": "cve", "value": value}], **fields)["reference"]
    world = api.world
    place(world, ref, reported_at=start + timedelta(days=3), aware_at=start + timedelta(days=2),
          acknowledged_at=start + timedelta(days=3, hours=2), severity=4)
    deadline(world, ref, "early-warning", start + timedelta(days=4), received=start + timedelta(days=5))
    request(world, ref, start + timedelta(days=6))
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        s.add(MispEvent(id=incident.id, uuid=str(uuid.uuid4()), org_id=incident.reporter_org_id,
                        incident_id=incident.id, info=incident.title, date=incident.reported_at.date(),
                        timestamp=1, tags=[EMOTET]))
    return ref


def _group(api, *refs: str) -> None:
    with transaction(api.world.runtime.sessions) as s:
        national = NationalIncident(reference=f"NI-2026-{len(refs):04d}", title="VPN campaign", created_by="test")
        s.add(national)
        s.flush()
        for ref in refs:
            incident = s.scalar(select(Incident).where(Incident.reference == ref))
            s.add(NationalIncidentMember(incident_id=incident.id, national_incident_id=national.id))


def _without_period(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k not in ("period", "previous_period", "months")}


def test_cards_and_landscape_do_not_depend_on_a_hidden_report(api):
    secret_quarter = QUARTERS[PROBE.secret][1]
    hidden = _story(api, "powergen", PROBE.secret, secret_quarter, tlp="TLP:AMBER")
    cert = bearer(api.world.key("energy-cert"))

    def views(value: str) -> dict:
        label, start = QUARTERS[value]
        own = _story(api, "gridco", value, start, tlp="TLP:GREEN")
        if value == PROBE.secret:
            _group(api, own, hidden)
        query = {"period": label}
        answers = {
            "own card": api.get("/kpi/organizations/gridco", "gridco", query_string=query),
            "cert: gridco card": api.client.get(f"{PREFIX}/kpi/organizations/gridco", headers=cert, query_string=query),
            "cert: powergen card": api.client.get(f"{PREFIX}/kpi/organizations/powergen", headers=cert,
                                                  query_string=query),
            "cert: sector card": api.client.get(f"{PREFIX}/kpi/sectors/energy", headers=cert, query_string=query),
            "gridco landscape": api.get("/landscape", "gridco", query_string=query),
            "cert landscape": api.client.get(f"{PREFIX}/landscape", headers=cert, query_string=query),
        }
        assert all(r.status_code == 200 for r in answers.values()), {k: r.status_code for k, r in answers.items()}
        return {name: _without_period(r.json) for name, r in answers.items()}

    PROBE.assert_same(views)


def test_the_probe_would_see_the_hidden_report_if_it_were_visible(api):
    """The control: national staff do see it, so the check above can fail."""
    label, start = QUARTERS[PROBE.secret]
    _story(api, "powergen", PROBE.secret, start, tlp="TLP:AMBER")
    _story(api, "gridco", PROBE.secret, start, tlp="TLP:GREEN")
    national = api.get("/landscape", "leader", query_string={"period": label}).json
    assert national["top_cves"] == [{"name": PROBE.secret, "incidents": 2}]
    sector = api.get("/kpi/sectors/energy", "leader", query_string={"period": label}).json
    assert next(f for f in sector["figures"] if f["key"] == "incidents")["value"] == 2
