"""Who is acting: passed explicitly into every service call.

The web console, the REST API, the CLI and the scheduler each build an Actor
and hand it to the same services; no service looks at web globals.
"""

from __future__ import annotations

from dataclasses import dataclass

from ncert.taxonomy import OrgKind, Role


@dataclass(frozen=True)
class Actor:
    role: Role
    org_id: int
    org_kind: OrgKind
    sector_id: int | None
    interface: str  # console | api | cli | scheduler | …
    label: str
    user_id: int | None = None
    api_key_id: int | None = None

    @property
    def is_national(self) -> bool:
        """National-centre staff see the national picture."""
        return self.role.is_national

    @property
    def can_triage(self) -> bool:
        return self.role in (Role.SOC_OPERATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
