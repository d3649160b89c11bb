"""Helpers for the REST API tests: a caller-aware client and a write detector."""

from __future__ import annotations

from dataclasses import dataclass

from flask.testing import FlaskClient
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.models import (
    AuditEvent,
    ExternalRef,
    Incident,
    IncidentIndicator,
    Indicator,
    Sighting,
    StixObject,
    TaxiiStatus,
    TimelineEntry,
)
from ncert.runtime import Runtime
from ncert.services import directory
from ncert.taxonomy import Role
from tests.factories import World

PREFIX = "/api/v1"

# Who a test speaks as -> (organisation, role) of the API key it uses.
CALLERS = {
    "admin": ("national-cert", Role.ADMIN),
    "operator": ("national-cert", Role.SOC_OPERATOR),
    "leader": ("national-cert", Role.LEADERSHIP),
    "gridco": ("gridco", Role.SECTOR_ANALYST),
    "powergen": ("powergen", Role.SECTOR_ANALYST),
    "centralbank": ("centralbank", Role.SECTOR_ANALYST),
    "partner": ("partner-cert", Role.SECTOR_ANALYST),
}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class Api:
    client: FlaskClient
    world: World

    def key(self, who: str) -> str:
        return self.world.key(*CALLERS[who])

    def revoked_key(self) -> str:
        """A key that worked once and has been revoked."""
        with transaction(self.world.runtime.sessions) as s:
            key, secret = directory.create_api_key(s, self.world.admin, org="national-cert", role="soc_operator")
            directory.revoke_api_key(s, self.world.admin, key.prefix)
        return secret

    def get(self, path: str, who: str, **kw):
        return self.client.get(PREFIX + path, headers=bearer(self.key(who)), **kw)

    def post(self, path: str, who: str, body=None, **kw):
        return self.client.post(PREFIX + path, headers=bearer(self.key(who)), json=body, **kw)

    def patch(self, path: str, who: str, body=None, **kw):
        return self.client.patch(PREFIX + path, headers=bearer(self.key(who)), json=body, **kw)

    def submit(self, who: str = "gridco", **fields) -> dict:
        """Submit through the API; the created incident's JSON."""
        fields.setdefault("title", "Suspicious activity")
        response = self.post("/incidents", who, fields)
        assert response.status_code == 201, response.json
        return response.json

    def triage(self, reference: str, **patch) -> dict:
        response = self.patch(f"/incidents/{reference}", "operator", patch)
        assert response.status_code == 200, response.json
        return response.json


def snapshot(runtime: Runtime) -> dict:
    """Everything a request could write, to compare before and after a rejected one."""
    with runtime.sessions() as s:
        counts = {
            model.__tablename__: s.scalar(select(func.count()).select_from(model))
            for model in (Incident, TimelineEntry, AuditEvent, Indicator, IncidentIndicator, Sighting, ExternalRef,
                          StixObject, TaxiiStatus)
        }
        rows = s.execute(
            select(Incident.reference, Incident.status, Incident.severity, Incident.tlp, Incident.rsit_class,
                   Incident.rsit_type, Incident.assignee_id, Incident.merged_into_id, Incident.updated_at)
            .order_by(Incident.id)
        ).all()
        return {"counts": counts, "incidents": [tuple(r) for r in rows]}


def refs(page: dict) -> list[str]:
    return [item["reference"] for item in page["items"]]
