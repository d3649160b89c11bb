"""The national cyber-risk register: create, read, change and import risks,
each change a new version with who, when and why (``history``, ``diff``).

Reads go through ``ncert.access.scope`` (national staff; the owner
organisation's analysts for a risk shared with it); writes are for SOC
operators and admins. Scoring uses the matrix in force (``risk_matrix``),
whose snapshot is kept in the assessment. Evidence from incidents and drift
live in ``risk_evidence``, reviews in ``risk_reviews``, heat maps in
``risk_heatmap`` and links to incidents in ``risk_links``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.access import scope
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import Organization, Risk, RiskVersion, Sector, Team
from ncert.services import audit, risk_matrix
from ncert.services.risk_records import RiskFields, RiskInput, RiskPatch

LEVELS = ("inherent", "current", "residual")
NEEDS_ASSESSMENT = ("assessed", "in_treatment", "accepted")
DEFAULT_REVIEW_DAYS = 90  # a quarterly review, as leadership's quarterly cycle
_REFERENCE = re.compile(r"^R-(\d{4})-(\d+)$")


def require_writer(actor: Actor) -> None:
    if not actor.can_triage:
        raise Forbidden(N_("only SOC operators and admins change the risk register"))


# -- reading -------------------------------------------------------------------------------


def get(session: Session, actor: Actor, reference: str) -> Risk:
    """The risk, if the actor may read it; otherwise 404 (never 403)."""
    risk = session.scalar(scope(actor, select(Risk).where(Risk.reference == reference.strip().upper()), Risk))
    if risk is None:
        raise NotFound(N_("no risk '%(reference)s'"), reference=reference)
    return risk


def list_risks(session: Session, actor: Actor, *, sector: str | None = None, owner: str | None = None,
               status: str | None = None) -> list[Risk]:
    """The risks the actor may read, by reference; ``owner`` is an organisation or team slug.
    The register holds tens to hundreds of risks, so filters on its lists run here."""
    risks = session.scalars(scope(actor, select(Risk).order_by(Risk.reference), Risk))
    return [r for r in risks if (sector is None or sector in r.sectors)
            and (owner is None or owner in (owner_slugs(r)))
            and (status is None or r.status == status)]


def owner_slugs(risk: Risk) -> tuple[str, ...]:
    return tuple(o.slug for o in (risk.owner_org, risk.owner_team) if o is not None)


def snapshot(risk: Risk) -> dict:
    """The register entry as one JSON document: what a version keeps and ``diff`` compares."""
    return {
        "title": risk.title,
        "scenario": risk.scenario,
        "owner": {"org": risk.owner_org.slug if risk.owner_org else None,
                  "team": risk.owner_team.slug if risk.owner_team else None,
                  "person": risk.owner_person, "email": risk.owner_email or None},
        "shared_with_owner": risk.shared_with_owner,
        "sectors": list(risk.sectors),
        "essential_services": list(risk.essential_services),
        "threat": dict(risk.threat),
        "vulnerabilities": list(risk.vulnerabilities),
        "controls": list(risk.controls),
        "evidence": dict(risk.evidence),
        "review_frequency_days": risk.review_frequency_days,
        "next_review_on": risk.next_review_on.isoformat() if risk.next_review_on else None,
        "status": risk.status,
        "assessment": risk.assessment,
        "treatment": risk.treatment,
    }


# -- history ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str  # dotted path, e.g. "assessment.current.likelihood"
    before: object
    after: object


def diff(before: dict, after: dict, prefix: str = "") -> list[Change]:
    """What changed between two snapshots, field by field (mappings compared key by key)."""
    out: list[Change] = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(diff(a, b, f"{prefix}{key}."))
        else:
            out.append(Change(f"{prefix}{key}", a, b))
    return out


def history(session: Session, actor: Actor, reference: str) -> list[RiskVersion]:
    """Every version of the risk, oldest first."""
    risk = get(session, actor, reference)
    return list(session.scalars(select(RiskVersion).where(RiskVersion.risk_id == risk.id)
                                .order_by(RiskVersion.version)))


def compare(versions: list[RiskVersion], older: int, newer: int) -> list[Change]:
    """The changes from version ``older`` to version ``newer`` of one history."""
    by_number = {v.version: v for v in versions}
    for number in (older, newer):
        if number not in by_number:
            raise NotFound(N_("no version %(number)s of this risk"), number=number)
    return diff(by_number[older].snapshot, by_number[newer].snapshot)


# -- writing ---------------------------------------------------------------------------------


def create(session: Session, actor: Actor, data: RiskInput, *, now: datetime | None = None) -> Risk:
    require_writer(actor)
    now = now or utcnow()
    reference = data.reference or _next_reference(session, now.year)
    if session.scalar(select(Risk.id).where(Risk.reference == reference)) is not None:
        raise Conflict(N_("risk %(reference)s already exists"), reference=reference)
    risk = Risk(reference=reference, title=data.title, scenario="", sectors=[], essential_services=[], threat={},
                vulnerabilities=[], controls=[], evidence={}, status="draft", version=0, created_at=now,
                updated_at=now, review_frequency_days=DEFAULT_REVIEW_DAYS, shared_with_owner=False)
    _apply(session, actor, risk, data, now)
    if risk.next_review_on is None:
        risk.next_review_on = now.date() + timedelta(days=risk.review_frequency_days)
    session.add(risk)
    session.flush()
    _new_version(session, actor, risk, data.reason or "created", now)
    audit.record(session, actor, "risk.create", "risk", risk.reference)
    return risk


def update(session: Session, actor: Actor, reference: str, patch: RiskPatch, *,
           now: datetime | None = None) -> Risk:
    """Change the fields given; a change that changes nothing makes no version."""
    risk = get(session, actor, reference)
    require_writer(actor)
    now = now or utcnow()
    before = snapshot(risk)
    _apply(session, actor, risk, patch, now)
    if snapshot(risk) == before:
        return risk
    risk.updated_at = now
    _new_version(session, actor, risk, patch.reason, now)
    audit.record(session, actor, "risk.update", "risk", risk.reference, reason=patch.reason,
                 fields=[c.field for c in diff(before, snapshot(risk))])
    return risk


def _apply(session: Session, actor: Actor, risk: Risk, data: RiskFields, now: datetime) -> None:
    given = data.model_fields_set
    for name in ("title", "scenario", "shared_with_owner", "essential_services", "vulnerabilities", "controls",
                 "review_frequency_days", "next_review_on"):
        if name in given and getattr(data, name) is not None:
            setattr(risk, name, getattr(data, name))
    if data.owner is not None:
        owner = data.owner
        risk.owner_org = _org(session, owner.org) if owner.org else None
        risk.owner_team = _team(session, owner.team) if owner.team else None
        risk.owner_person, risk.owner_email = owner.person, owner.email or ""
    if data.sectors is not None:
        risk.sectors = _sectors(session, data.sectors)
    if data.threat is not None:
        risk.threat = data.threat.model_dump(mode="json")
    if data.evidence is not None:
        risk.evidence = data.evidence.model_dump(mode="json")
    if data.treatment is not None:
        risk.treatment = data.treatment.model_dump(mode="json")
    if data.assessment is not None:
        _assess(session, actor, risk, data, now)
    if data.status is not None:
        risk.status = data.status
    _check_status(risk, now.date())


def _assess(session: Session, actor: Actor, risk: Risk, data: RiskFields, now: datetime) -> None:
    """Score on the matrix in force and keep its snapshot; an assessment is a review.
    The same scores and rationales on the same matrix are no new assessment (imports stay idempotent)."""
    matrix = risk_matrix.current(session)
    given = data.assessment.model_dump()
    if risk.assessment is not None and risk.assessment["matrix"]["version"] == matrix["version"] and all(
            {k: risk.assessment[name][k] for k in given[name]} == given[name] for name in LEVELS):
        return
    recorded = {"matrix": matrix, "assessed_at": now.isoformat(), "assessed_by": actor.label}
    for name in LEVELS:
        score = getattr(data.assessment, name)
        recorded[name] = {**score.model_dump(), "level": risk_matrix.level(matrix, score.likelihood, score.impact)}
    risk.assessment = recorded
    risk.current_likelihood, risk.current_impact = data.assessment.current.likelihood, data.assessment.current.impact
    risk.residual_likelihood = data.assessment.residual.likelihood
    risk.residual_impact = data.assessment.residual.impact
    risk.drift_since = risk.review_suggested_at = None
    if "next_review_on" not in data.model_fields_set:
        risk.next_review_on = now.date() + timedelta(days=risk.review_frequency_days)
    if risk.status == "draft" and data.status is None:
        risk.status = "assessed"


def _check_status(risk: Risk, today: date) -> None:
    if risk.status in NEEDS_ASSESSMENT and risk.assessment is None:
        raise Invalid(N_("status '%(status)s' needs an assessment first"), status=risk.status)
    if risk.status == "in_treatment" and risk.treatment is None:
        raise Invalid(N_("status 'in_treatment' needs a treatment"))
    if risk.status == "accepted":
        acceptance = (risk.treatment or {}).get("acceptance")
        if acceptance is None:
            raise Invalid(N_("status 'accepted' needs the 'accept' treatment with an approver and an expiry date"))
        if date.fromisoformat(acceptance["expires_on"]) <= today:
            raise Invalid(N_("the acceptance expired on %(day)s; record a new one"), day=acceptance['expires_on'])


def _new_version(session: Session, actor: Actor, risk: Risk, reason: str, now: datetime) -> None:
    risk.version += 1
    session.add(RiskVersion(risk_id=risk.id, version=risk.version, snapshot=snapshot(risk), author=actor.label,
                            user_id=actor.user_id, reason=reason, at=now))
    session.flush()


def _next_reference(session: Session, year: int) -> str:
    """R-<year>-<4 digits>, one more than the highest of that year."""
    refs = session.scalars(select(Risk.reference).where(Risk.reference.like(f"R-{year}-%")))
    numbers = [int(m.group(2)) for m in map(_REFERENCE.match, refs) if m]
    return f"R-{year}-{max(numbers, default=0) + 1:04d}"


def _org(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise Invalid(N_("owner: no organisation '%(slug)s'"), slug=slug)
    return org


def _team(session: Session, slug: str) -> Team:
    team = session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        raise Invalid(N_("owner: no team '%(slug)s'"), slug=slug)
    return team


def _sectors(session: Session, slugs: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(slugs))
    known = set(session.scalars(select(Sector.slug).where(Sector.slug.in_(wanted))))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise Invalid(N_("sectors: no sector '%(unknown)s'"), unknown=unknown[0])
    return wanted


# -- import ----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"created {len(self.created)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}"


def import_register(session: Session, actor: Actor, entries: object, *, source: str,
                    now: datetime | None = None) -> ImportResult:
    """Create or update risks from a list of entries (a YAML register): an entry with
    a reference updates that risk, else the risk of the same title; importing the
    same file again changes nothing. All or nothing: a bad entry fails the import.
    ``now`` dates the versions and assessments (the demo imports its register in the past)."""
    require_writer(actor)
    if isinstance(entries, dict) and "risks" in entries:
        entries = entries["risks"]
    if not isinstance(entries, list):
        raise Invalid(N_("a risk register file is a list of risks (or a mapping with a 'risks' list)"))
    result = ImportResult()
    for index, entry in enumerate(entries):
        try:
            data = RiskInput.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise Invalid(N_("risk %(index)s: %(where)s: %(msg)s"),
                          index=index + 1, where=where, msg=first['msg']) from None
        existing = _existing(session, data)
        if existing is None:
            result.created.append(create(session, actor, data, now=now).reference)
            continue
        fields = data.model_dump(exclude_unset=True, exclude={"reference", "reason"})
        version = existing.version
        patch = RiskPatch.model_validate({**fields, "reason": data.reason or f"import {source}"})
        update(session, actor, existing.reference, patch, now=now)
        (result.updated if existing.version != version else result.unchanged).append(existing.reference)
    return result


def _existing(session: Session, data: RiskInput) -> Risk | None:
    if data.reference:
        return session.scalar(select(Risk).where(Risk.reference == data.reference))
    return session.scalar(select(Risk).where(Risk.title == data.title).order_by(Risk.id).limit(1))
