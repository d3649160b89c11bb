"""The sector registry: read and validate ``registry.yaml``, and load it into the database.

``read()`` is pure (no database) so the traffic simulator can use the same
constituency; ``load(session)`` is what ``ncert init`` runs. Loading is
idempotent by slug: missing entries are inserted, entries whose fields changed
in the file are updated, nothing is ever duplicated or deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.errors import Invalid
from ncert.models import Organization, Sector
from ncert.taxonomy import OrgKind

DEFAULT_PATH = Path(__file__).with_name("registry.yaml")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
NIS2_ANNEXES = ("I", "II")
NIS2_ENTITIES = ("essential", "important")


class RegistryError(Invalid):
    """The registry file is malformed; the message names the offending entry."""


@dataclass(frozen=True)
class SectorEntry:
    slug: str
    name: str
    nis2_annex: str | None
    criticality: int
    description: str = ""


@dataclass(frozen=True)
class OrgEntry:
    slug: str
    name: str
    kind: OrgKind
    sector: str | None = None
    country: str = ""
    nis2_entity: str | None = None
    contact_email: str = ""


@dataclass(frozen=True)
class Registry:
    sectors: tuple[SectorEntry, ...]
    organizations: tuple[OrgEntry, ...]

    def sector(self, slug: str) -> SectorEntry:
        return next(s for s in self.sectors if s.slug == slug)


@dataclass(frozen=True)
class LoadResult:
    sectors_added: int
    sectors_updated: int
    orgs_added: int
    orgs_updated: int


# -- reading and validating --------------------------------------------------------


def read(path: Path | str = DEFAULT_PATH) -> Registry:
    """Parse and validate a registry file (cached per path)."""
    return _read(str(Path(path).resolve()))


@lru_cache(maxsize=8)
def _read(path: str) -> Registry:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegistryError(f"{path}: cannot read the sector registry: {exc}") from None
    return parse(data, source=path)


def parse(data: object, source: str = "registry") -> Registry:
    """Validate the loaded YAML document; raise RegistryError naming the bad entry."""
    if not isinstance(data, dict) or set(data) != {"sectors", "organizations"}:
        raise RegistryError(f"{source}: expected exactly the top-level keys 'sectors' and 'organizations'")
    sectors = tuple(_sector(raw, i, source) for i, raw in enumerate(_list(data, "sectors", source)))
    _unique(sectors, "sector", source)
    known = {s.slug for s in sectors}
    orgs = tuple(_org(raw, i, source, known) for i, raw in enumerate(_list(data, "organizations", source)))
    _unique(orgs, "organization", source)
    return Registry(sectors, orgs)


def _list(data: dict, key: str, source: str) -> list:
    value = data[key]
    if not isinstance(value, list) or not value:
        raise RegistryError(f"{source}: '{key}' must be a non-empty list")
    return value


def _unique(entries, what: str, source: str) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.slug in seen:
            raise RegistryError(f"{source}: duplicate {what} slug {entry.slug!r}")
        seen.add(entry.slug)


def _fields(raw: object, cls, what: str, index: int, source: str) -> tuple[str, dict]:
    """Check the entry is a mapping with a valid slug and only known keys."""
    label = f"{source}: {what} #{index + 1}"
    if not isinstance(raw, dict):
        raise RegistryError(f"{label}: expected a mapping, got {raw!r}")
    slug = raw.get("slug")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise RegistryError(f"{label}: slug {slug!r} must be lower-case letters, digits and '-'")
    label = f"{source}: {what} {slug!r}"
    unknown = set(raw) - {f.name for f in fields(cls)}
    if unknown:
        raise RegistryError(f"{label}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(f"{label}: 'name' is required")
    return label, raw


def _sector(raw: object, index: int, source: str) -> SectorEntry:
    label, raw = _fields(raw, SectorEntry, "sector", index, source)
    annex = raw.get("nis2_annex")
    if annex not in (*NIS2_ANNEXES, None):
        raise RegistryError(f"{label}: nis2_annex must be I, II or null, not {annex!r}")
    criticality = raw.get("criticality")
    if type(criticality) is not int or not 1 <= criticality <= 5:
        raise RegistryError(f"{label}: criticality must be an integer from 1 to 5, not {criticality!r}")
    description = "" if raw.get("description") is None else raw["description"]
    if not isinstance(description, str):
        raise RegistryError(f"{label}: description must be text")
    return SectorEntry(raw["slug"], raw["name"].strip(), annex, criticality, description.strip())


def _org(raw: object, index: int, source: str, sectors: set[str]) -> OrgEntry:
    label, raw = _fields(raw, OrgEntry, "organization", index, source)
    try:
        kind = OrgKind(raw.get("kind"))
    except ValueError:
        expected = ", ".join(OrgKind)
        raise RegistryError(f"{label}: unknown kind {raw.get('kind')!r}; expected one of {expected}") from None
    sector = raw.get("sector")
    if sector is not None and sector not in sectors:
        raise RegistryError(f"{label}: unknown sector {sector!r}")
    country = "" if raw.get("country") is None else raw["country"]
    if not isinstance(country, str) or (country and not _COUNTRY.match(country)):
        raise RegistryError(f"{label}: country must be a quoted ISO 3166-1 alpha-2 code such as 'DE', not {country!r}")
    if kind is OrgKind.INTERNATIONAL_PARTNER:
        if sector is not None or not country:
            raise RegistryError(f"{label}: an international partner has a country and no domestic sector")
    elif sector is None:
        raise RegistryError(f"{label}: a domestic organisation needs a sector")
    entity = raw.get("nis2_entity")
    if entity not in (*NIS2_ENTITIES, None):
        raise RegistryError(f"{label}: nis2_entity must be essential, important or null, not {entity!r}")
    email = "" if raw.get("contact_email") is None else raw["contact_email"]
    if not isinstance(email, str) or (email and "@" not in email):
        raise RegistryError(f"{label}: contact_email {email!r} is not an e-mail address")
    return OrgEntry(raw["slug"], raw["name"].strip(), kind, sector, country, entity, email)


# -- loading into the database -----------------------------------------------------


def load(session: Session, registry: Registry | None = None) -> LoadResult:
    """Insert missing sectors and organisations and update changed ones, by slug.

    Rows the registry does not name (added with ``ncert org add``) are left alone.
    This is bootstrap data written before any actor exists, so it is not audited.
    """
    registry = registry or read()
    sectors = {s.slug: s for s in session.scalars(select(Sector))}
    sectors_added = sectors_updated = 0
    for entry in registry.sectors:
        values = {"name": entry.name, "nis2_annex": entry.nis2_annex, "criticality": entry.criticality,
                  "description": entry.description}
        row = sectors.get(entry.slug)
        if row is None:
            row = sectors[entry.slug] = Sector(slug=entry.slug, **values)
            session.add(row)
            sectors_added += 1
        elif _update(row, values):
            sectors_updated += 1
    session.flush()

    orgs = {o.slug: o for o in session.scalars(select(Organization))}
    orgs_added = orgs_updated = 0
    for entry in registry.organizations:
        values = {"name": entry.name, "kind": entry.kind,
                  "sector_id": sectors[entry.sector].id if entry.sector else None,
                  "country": entry.country, "nis2_entity": entry.nis2_entity, "contact_email": entry.contact_email}
        row = orgs.get(entry.slug)
        if row is None:
            session.add(Organization(slug=entry.slug, **values))
            orgs_added += 1
        elif _update(row, values):
            orgs_updated += 1
    session.flush()
    return LoadResult(sectors_added, sectors_updated, orgs_added, orgs_updated)


def _update(row, values: dict) -> bool:
    """Set the fields that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
