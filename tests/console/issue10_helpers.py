"""Building what the register, KPI and landscape pages show: risks through the
register's service, and a sector CERT's analyst who can sign in."""

from __future__ import annotations

import re

from ncert.db import transaction
from ncert.services import directory, risks
from ncert.services.risk_records import RiskInput
from tests.factories import PASSWORD

CERT_ANALYST = "analyst@energy-cert.test"
PICKER = re.compile(r'<form method="get"[^>]*id="period-picker">.*?</form>', re.S)


def assessment(current=(3, 4), residual=(2, 3), inherent=(4, 5)) -> dict:
    return {name: {"likelihood": li, "impact": im, "rationale": f"{name} rationale"}
            for name, (li, im) in (("inherent", inherent), ("current", current), ("residual", residual))}


def new_risk(world, **fields) -> str:
    data = {"title": "Ransomware at a grid operator", "owner": {"org": "gridco", "person": "Deputy Head"},
            "sectors": ["energy"], "threat": {"rsit": ["malicious-code"]}, **fields}
    with transaction(world.runtime.sessions) as s:
        return risks.create(s, world.operator, RiskInput.model_validate(data)).reference


def add_cert_analyst(world) -> str:
    """A signed-in-able analyst of the energy sector's CERT (the world has none)."""
    with transaction(world.runtime.sessions) as s:
        directory.add_user(s, world.admin, email=CERT_ANALYST, name="Cert Analyst", role="sector_analyst",
                           org="energy-cert", password=PASSWORD)
    return CERT_ANALYST


def without_picker(page: str) -> str:
    """The page without its period picker, whose quarter list is the same whatever period is shown."""
    return PICKER.sub("", page)
