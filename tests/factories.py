"""Test data builders, so tests read as short stories.

``build_world`` makes a small national constituency: four sectors, a
national CERT, operators in two sectors, an international partner, one
user per role and one API key per (organisation, role) that tests use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.security import generate_password_hash

from ncert.actor import Actor
from ncert.db import transaction
from ncert.models import Organization, Sector, User
from ncert.records import IncidentRecord
from ncert.runtime import Runtime
from ncert.services import directory, incidents
from ncert.taxonomy import OrgKind, Role

PASSWORD = "correct horse battery staple"

SECTORS = [
    ("energy", "Energy", "I", 5),
    ("finance", "Banking and financial market infrastructure", "I", 4),
    ("health", "Health", "I", 5),
    ("government", "Public administration", "I", 4),
]

ORGS = [
    # slug, name, kind, sector
    ("national-cert", "National CERT", OrgKind.STATE_BODY, "government"),
    ("gridco", "GridCo Transmission", OrgKind.PRIVATE_OPERATOR, "energy"),
    ("powergen", "PowerGen Utilities", OrgKind.PRIVATE_OPERATOR, "energy"),
    ("energy-cert", "Energy Sector CERT", OrgKind.SECTOR_CERT, "energy"),
    ("centralbank", "Central Bank", OrgKind.STATE_BODY, "finance"),
    ("cityhospital", "City Hospital", OrgKind.PRIVATE_OPERATOR, "health"),
    ("partner-cert", "Partner Country CERT", OrgKind.INTERNATIONAL_PARTNER, None),
]

USERS = [
    # email, role, org
    ("admin@ncert.test", Role.ADMIN, "national-cert"),
    ("operator@ncert.test", Role.SOC_OPERATOR, "national-cert"),
    ("operator2@ncert.test", Role.SOC_OPERATOR, "national-cert"),
    ("leader@ncert.test", Role.LEADERSHIP, "national-cert"),
    ("analyst@gridco.test", Role.SECTOR_ANALYST, "gridco"),
    ("analyst@powergen.test", Role.SECTOR_ANALYST, "powergen"),
    ("analyst@centralbank.test", Role.SECTOR_ANALYST, "centralbank"),
    ("analyst@partner.test", Role.SECTOR_ANALYST, "partner-cert"),
]


@dataclass
class World:
    runtime: Runtime
    sectors: dict[str, int] = field(default_factory=dict)
    orgs: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # email -> id
    keys: dict[str, str] = field(default_factory=dict)  # "<org>:<role>" -> secret

    def actor(self, email: str, interface: str = "test") -> Actor:
        with self.runtime.sessions() as s:
            return directory.actor_for_user(s.get(User, self.users[email]), interface)

    @property
    def admin(self) -> Actor:
        return self.actor("admin@ncert.test")

    @property
    def operator(self) -> Actor:
        return self.actor("operator@ncert.test")

    def key(self, org: str, role: Role | str = Role.SECTOR_ANALYST) -> str:
        """An API key for (org, role), created on first use."""
        name = f"{org}:{Role(role).value}"
        if name not in self.keys:
            with transaction(self.runtime.sessions) as s:
                _, secret = directory.create_api_key(s, self.admin, org=org, role=str(role))
            self.keys[name] = secret
        return self.keys[name]

    def submit(self, actor: Actor, channel: str = "api", **fields) -> str:
        """Submit an incident through the service; returns its reference."""
        fields.setdefault("title", "Suspicious activity")
        with transaction(self.runtime.sessions) as s:
            return incidents.submit(s, actor, IncidentRecord(**fields), channel=channel).incident.reference


def build_world(runtime: Runtime) -> World:
    world = World(runtime)
    with transaction(runtime.sessions) as s:
        for slug, name, annex, crit in SECTORS:
            sector = Sector(slug=slug, name=name, nis2_annex=annex, criticality=crit)
            s.add(sector)
            s.flush()
            world.sectors[slug] = sector.id
        for slug, name, kind, sector in ORGS:
            org = Organization(slug=slug, name=name, kind=kind, sector_id=world.sectors.get(sector))
            s.add(org)
            s.flush()
            world.orgs[slug] = org.id
        pw = generate_password_hash(PASSWORD)
        for email, role, org in USERS:
            user = User(email=email, name=email.split("@")[0].title(), role=role, org_id=world.orgs[org],
                        password_hash=pw)
            s.add(user)
            s.flush()
            world.users[email] = user.id
    return world
