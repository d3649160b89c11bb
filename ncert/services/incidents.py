"""The incident lifecycle: submit, read, triage, comment, merge, reopen.

Every change writes a timeline entry and an audit event in the caller's
transaction. Role checks live here, not in the doors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ncert.access import scope
from ncert.actor import Actor
from ncert.db import next_in_year, utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import (
    ExternalRef,
    Incident,
    Organization,
    ReferenceCounter,
    Task,
    TimelineEntry,
    User,
)
from ncert.records import Category, IncidentPatch, IncidentRecord
from ncert.runtime import hooks_of
from ncert.search import indexing
from ncert.services import audit, directory, indicators, next_due, rollups, teams
from ncert.taxonomy import REOPENABLE, TRANSITIONS, UNCATEGORISED, Role, Status
from ncert.timeline_text import Message, english, joined, message, vocab

CLOCK_SKEW = timedelta(minutes=5)
DEFAULT_SEVERITY = 1
# A hint starts the national severity at most here: crisis levels (4 Severe, 5
# Emergency) need a national decision (an operator, the national score, or a rule
# that does not read the hint), never a reporter's word alone. Level 3 is
# "significant" under PPD-41 (standards digest §5.1), so a high hint still sorts high.
HINT_CEILING = 3
# Where national staff type a severity themselves, it is their decision, not a
# hint; machine intake (TAXII, MISP, feeds) carries the reporter's.
DECIDING_CHANNELS = ("api", "console")
BATCH = "ncert.incidents.batch"  # session.info key of the changes ``batched`` collects
# The fields a reporter's newer version changes, as the timeline names them.
_FIELDS = {"title": N_("title"), "description": N_("description"), "tlp": N_("tlp"), "indicators": N_("indicators")}

def announce(session: Session, actor: Actor, incident: Incident, change: str) -> None:
    """The domain event: each incident listener of the session's runtime (``ncert.runtime.Hooks``)
    is called with change "created" after submit made a new incident and "patched" after
    update_fields. Playbooks and detection listen; this module knows nothing of them."""
    for listener in list(hooks_of(session).incident_listeners):
        listener(session, actor, incident, change)


@dataclass(frozen=True)
class Submission:
    incident: Incident
    created: bool  # False when the external id was already known (idempotent replay)


# -- reading ----------------------------------------------------------------------


def get(session: Session, actor: Actor, reference: str) -> Incident:
    """The incident, if the actor may see it; otherwise 404 (never 403, which would confirm it exists)."""
    stmt = scope(actor, select(Incident).where(Incident.reference == reference.strip().upper()))
    incident = session.scalar(stmt)
    if incident is None:
        raise NotFound(N_("no incident '%(reference)s'"), reference=reference)
    return incident


def timeline(session: Session, actor: Actor, incident: Incident) -> list[TimelineEntry]:
    stmt = select(TimelineEntry).where(TimelineEntry.incident_id == incident.id).order_by(TimelineEntry.id)
    return list(session.scalars(scope(actor, stmt, TimelineEntry)))


# -- submitting ---------------------------------------------------------------------


def submit(session: Session, actor: Actor, record: IncidentRecord, *, channel: str) -> Submission:
    """Take an incident into the national queue.

    The reporter is the actor's own organisation; only national staff may
    record an incident on another organisation's behalf. Resubmitting an
    external id the organisation already used returns the first incident.
    """
    if actor.role is Role.LEADERSHIP:
        raise Forbidden(N_("leadership accounts review; they do not submit incidents"))
    reporter = _reporter(session, actor, record)
    existing = _by_external_id(session, reporter.id, record.external_ids)
    if existing is not None:
        return Submission(existing, created=False)

    now = utcnow()
    for name in ("occurred_at", "aware_at"):
        when = getattr(record, name)
        if when and when > now + CLOCK_SKEW:
            raise Invalid(N_("%(name)s is in the future"), name=name)
    sector = _reporting_sector(session, actor, reporter, record.sector)
    affected = [directory.sector_by_slug(session, slug) for slug in dict.fromkeys(record.affected_sectors)]
    category = record.category
    rsit_class, rsit_type = (category.rsit_class, category.type) if category else UNCATEGORISED

    incident = Incident(
        reference=_next_reference(session, now.year),
        title=record.title,
        description=record.description,
        reporter_org_id=reporter.id,
        sector_id=sector.id,
        status=Status.NEW,
        rsit_class=rsit_class,
        rsit_type=rsit_type,
        severity=_national_severity(actor, record.severity, channel),
        reported_severity=record.severity,
        communicated_severity=DEFAULT_SEVERITY if record.severity is None else record.severity,
        tlp=record.tlp,
        occurred_at=record.occurred_at,
        aware_at=record.aware_at,
        reported_at=now,
        created_at=now,
        updated_at=now,
        shared_updated_at=now,
        source_channel=channel,
        affected_sectors=affected,
        # Given with the incident, the refs go in with it in one flush, and the collection is known
        # loaded: reading the incident back (the answer to the submission) needs no query for them.
        external_refs=[ExternalRef(org_id=reporter.id, system=system, value=value)
                       for system, value in record.external_ids.items()],
    )
    session.add(incident)
    try:
        session.flush()
    except IntegrityError:  # a concurrent submission took the same external id first
        raise Conflict(N_("an incident with this external id is being submitted concurrently; retry")) from None
    indicators.attach(session, incident, record.indicators, reporter.id, new=True)
    # Logged at the time it was reported, which the incident already carries: no second write of the row.
    _log(session, actor, incident, "created",
         message(N_("Reported by %(reporter)s via %(channel)s"), reporter=reporter.name, channel=channel),
         action="incident.create", at=now, channel=channel, reporter=reporter.slug, indicators=len(record.indicators))
    announce(session, actor, incident, "created")
    return Submission(incident, created=True)


def _reporter(session: Session, actor: Actor, record: IncidentRecord) -> Organization:
    if record.reporter_org is None:
        return session.get(Organization, actor.org_id)
    if not actor.is_national:
        own = session.get(Organization, actor.org_id)
        if record.reporter_org != own.slug:
            raise Forbidden(N_("you can only report on behalf of your own organisation"))
        return own
    try:
        return directory.org_by_slug(session, record.reporter_org)
    except NotFound as exc:
        raise Invalid(exc.detail) from None


def _reporting_sector(session: Session, actor: Actor, reporter: Organization, slug: str | None):
    """The sector a report is filed under. An organisation reports for its own sector
    (a sector CERT's constituency is its sector); national staff file under any. An
    organisation without one (an international partner) names the sector it reports
    about; cross-sector rules count reporting organisations' sectors, so that name
    never counts as a national sector's report."""
    if slug is None:
        if reporter.sector is None:
            raise _sector_error(f"organisation {reporter.slug!r} has no sector; give 'sector'")
        return reporter.sector
    sector = directory.sector_by_slug(session, slug)
    if actor.is_national or reporter.sector is None or sector.id == reporter.sector_id:
        return sector
    raise _sector_error(f"{reporter.slug!r} reports for its own sector {reporter.sector.slug!r}, not {slug!r}; "
                        "the national centre files reports for other sectors")


def _sector_error(msg: str) -> Invalid:
    return Invalid(f"sector: {msg}", errors=[{"loc": ["sector"], "msg": msg, "type": "value_error"}])


def _national_severity(actor: Actor, hint: int | None, channel: str) -> int:
    """The national severity a new report starts at: a national person's own entry
    as given; a reporter's hint trusted up to ``HINT_CEILING``."""
    if hint is None:
        return DEFAULT_SEVERITY
    if actor.is_national and channel in DECIDING_CHANNELS:
        return hint
    return min(hint, HINT_CEILING)


def _by_external_id(session: Session, org_id: int, external_ids: dict[str, str]) -> Incident | None:
    # The id alone from the unique (org, system, value) index: almost every report is new, and the
    # incident with its eagerly joined relations is loaded only for a replay.
    for system, value in external_ids.items():
        found = session.scalar(select(ExternalRef.incident_id).where(
            ExternalRef.org_id == org_id, ExternalRef.system == system, ExternalRef.value == value))
        if found is not None:
            return session.get(Incident, found)
    return None


def _next_reference(session: Session, year: int) -> str:
    """NC-<year>-<6 digits>, from a per-year counter bumped in the transaction (``ncert.db.next_in_year``)."""
    value = next_in_year(session, ReferenceCounter, year)
    return f"NC-{year}-{value:06d}"


def refresh_from_source(session: Session, actor: Actor, incident: Incident, record: IncidentRecord) -> bool:
    """A reporter's newer version of an incident it already sent (a newer STIX
    version, a MISP event with a later timestamp): take over the reporter-owned
    fields that changed, a stricter TLP, and new indicators. Triage fields stay the SOC's."""
    if incident.reporter_org_id != actor.org_id and not actor.is_national:
        raise Forbidden(N_("only the reporting organisation updates its incident from source"))
    changed = {name: getattr(record, name) for name in ("title", "description")
               if getattr(record, name) != getattr(incident, name)}
    for name, value in changed.items():
        setattr(incident, name, value)
    if record.tlp.rank > incident.tlp.rank:  # a reporter may always make its label stricter, never looser
        changed["tlp"] = record.tlp
        incident.tlp = record.tlp
    have = {(i.type, i.value) for i in indicators.of_incident(session, incident.id)}
    fresh = [r for r in record.indicators if (r.type, r.value) not in have]
    added = indicators.attach(session, incident, fresh, incident.reporter_org_id)
    if changed or added:
        fields = [message(_FIELDS[name]) for name in [*changed, *(["indicators"] if added else [])]]
        _log(session, actor, incident, "source-update",
             message(N_("Updated by the reporter: %(fields)s"), fields=joined(fields, ", ")),
             action="incident.source-update", fields=sorted(changed), indicators=len(added),
             tlp=str(incident.tlp))
    return bool(changed or added)


def withdraw(session: Session, actor: Actor, record: IncidentRecord, *, source: str) -> Incident | None:
    """The reporter deleted what it had sent (a MISP event soft-deleted at its source):
    the incident stays in the queue, as evidence, with the withdrawal in its timeline. ``source`` names
    where it was deleted, marked with ``N_`` (the timeline translates it)."""
    incident = _by_external_id(session, actor.org_id, record.external_ids)
    if incident is not None:
        _log(session, actor, incident, "withdrawn",
             message(N_("Deleted at the source by the reporter (%(source)s)"), source=message(source)),
             action="incident.withdraw", source=source)
    return incident


# -- triage -------------------------------------------------------------------------


def require_triage(actor: Actor) -> None:
    if not actor.can_triage:
        raise Forbidden(N_("only SOC operators and admins triage incidents"))


def update_fields(session: Session, actor: Actor, reference: str, patch: IncidentPatch) -> Incident:
    """Apply a PATCH: status, assignee, team, category, severity and TLP, each logged.

    The national severity is national: its changes are internal notes. What the
    reporter sees changes only with ``communicated_severity``, an explicit decision."""
    require_triage(actor)
    incident = get(session, actor, reference)
    apply_patch(session, actor, incident, patch)
    announce(session, actor, incident, "patched")
    return incident


def apply_patch(session: Session, actor: Actor, incident: Incident, patch: IncidentPatch) -> None:
    """The changes of ``update_fields`` on an incident already found as the actor, with their rules;
    the caller checks the role and tells the listeners (``ncert.services.triage`` logs them as one)."""
    fields = patch.model_fields_set
    if "status" in fields:
        _transition(session, actor, incident, patch.status, patch.reason)
    if "assignee" in fields:
        _assign(session, actor, incident, patch.assignee)
    if "team" in fields:
        _set_team(session, actor, incident, patch.team, patch.reason)
    if "category" in fields:
        _set_category(session, actor, incident, patch.category, patch.reason)
    if "severity" in fields and patch.severity != incident.severity:
        old = incident.severity
        incident.severity = patch.severity
        _log(session, actor, incident, "severity", message(
                 N_("Severity %(old)s → %(new)s"), old=vocab("severity", old), new=vocab("severity", patch.severity)),
             action="incident.severity", internal=True, old=old, new=patch.severity, reason=patch.reason)
    if "communicated_severity" in fields and patch.communicated_severity != incident.communicated_severity:
        old = incident.communicated_severity
        incident.communicated_severity = patch.communicated_severity
        levels = {"old": vocab("severity", old), "new": vocab("severity", patch.communicated_severity)}
        _log(session, actor, incident, "severity",
             message(N_("The national centre set the severity %(old)s → %(new)s: %(reason)s"), **levels,
                     reason=patch.reason) if patch.reason else
             message(N_("The national centre set the severity %(old)s → %(new)s"), **levels),
             action="incident.communicated-severity",
             old=old, new=patch.communicated_severity, reason=patch.reason)
    if "tlp" in fields and patch.tlp != incident.tlp:
        old = incident.tlp
        incident.tlp = patch.tlp
        _log(session, actor, incident, "tlp", message(N_("TLP %(old)s → %(new)s"), old=str(old), new=str(patch.tlp)),
             action="incident.tlp", old=str(old), new=str(patch.tlp), reason=patch.reason)


def transition(session: Session, actor: Actor, reference: str, to: Status, reason: str = "") -> Incident:
    require_triage(actor)
    incident = get(session, actor, reference)
    _transition(session, actor, incident, to, reason)
    return incident


def _transition(session: Session, actor: Actor, incident: Incident, to: Status, reason: str) -> None:
    current = incident.status
    if to is Status.MERGED:
        raise Conflict(N_("use the merge action to merge an incident into another"))
    if to == current:
        raise Conflict(N_("%(reference)s is already %(current)s"), reference=incident.reference, current=current)
    if to not in TRANSITIONS[current]:
        if current in REOPENABLE:
            refusal = N_("cannot move %(reference)s from %(current)s to %(to)s: %(current)s incidents can only be "
                         "reopened")
        elif current is Status.MERGED:
            refusal = N_("cannot move %(reference)s from %(current)s to %(to)s: it was merged into %(target)s")
        else:
            refusal = N_("cannot move %(reference)s from %(current)s to %(to)s: allowed from %(current)s: %(allowed)s")
        raise Conflict(refusal, reference=incident.reference, current=current, to=to, code="invalid_transition",
                       target=incident.merged_into.reference if incident.merged_into else None,
                       allowed=", ".join(TRANSITIONS[current]))
    if to in (Status.RESOLVED, Status.CLOSED):
        _require_mandatory_tasks_closed(session, incident)
    now = utcnow()
    incident.status = to
    if current is Status.NEW and incident.acknowledged_at is None:
        incident.acknowledged_at = now
    if to is Status.RESOLVED:
        incident.resolved_at = now
    if to is Status.CLOSED:
        incident.closed_at = now
        incident.resolved_at = incident.resolved_at or now
    moved = {"old": vocab("status", current), "new": vocab("status", to)}
    _log(session, actor, incident, "status", message(N_("Status %(old)s → %(new)s: %(reason)s"), **moved, reason=reason)
         if reason else message(N_("Status %(old)s → %(new)s"), **moved),
         action="incident.status", old=str(current), new=str(to), reason=reason)


def _require_mandatory_tasks_closed(session: Session, incident: Incident) -> None:
    """An open mandatory task (``ncert.services.tasks``) blocks resolving or closing its incident."""
    stmt = select(Task.title).where(Task.incident_id == incident.id, Task.mandatory.is_(True), Task.status == "open")
    titles = list(session.scalars(stmt.order_by(Task.id)))
    if titles:
        raise Conflict(N_("%(reference)s has open mandatory tasks: %(titles)s"), reference=incident.reference,
                       titles="; ".join(titles), code="open_mandatory_tasks")


def _assign(session: Session, actor: Actor, incident: Incident, who: int | str | None) -> None:
    user = _resolve_assignee(session, actor, who)
    if (user.id if user else None) == incident.assignee_id:
        return
    old = incident.assignee.email if incident.assignee else None
    incident.assignee_id = user.id if user else None
    incident.assignee = user
    text = message(N_("Assigned to %(email)s"), email=user.email) if user else message(N_("Unassigned"))
    _log(session, actor, incident, "assignee", text, action="incident.assign",
         old=old, new=user.email if user else None)


def _resolve_assignee(session: Session, actor: Actor, who: int | str | None) -> User | None:
    if who is None:
        return None
    if who == "me":
        if actor.user_id is None:
            raise Invalid(N_("'me' needs a user; API keys assign by user id or e-mail"))
        who = actor.user_id
    if isinstance(who, int):
        user = session.get(User, who)
    else:
        user = session.scalar(select(User).where(User.email == who.strip().lower()))
    if user is None:
        raise Invalid(N_("no user '%(who)s'"), who=who)
    if user.role not in (Role.SOC_OPERATOR, Role.ADMIN) or not user.active:
        raise Invalid(N_("%(email)s is not an active SOC operator or admin"), email=user.email)
    return user


def _set_team(session: Session, actor: Actor, incident: Incident, slug: str | None, reason: str) -> None:
    team = teams.by_slug(session, slug) if slug else None
    if slug and team is None:
        raise Invalid(N_("team: no team '%(slug)s'"), slug=slug)
    if (team.id if team else None) == incident.team_id:
        return
    old = incident.team.slug if incident.team else None
    incident.team_id, incident.team = (team.id, team) if team else (None, None)
    _log(session, actor, incident, "team",
         message(N_("Team → %(team)s"), team=team.slug) if team else message(N_("Team cleared")),
         action="incident.team", old=old, new=team.slug if team else None, reason=reason)


def _set_category(session: Session, actor: Actor, incident: Incident, category: Category, reason: str) -> None:
    old = incident.category
    if (category.rsit_class, category.type) == (incident.rsit_class, incident.rsit_type):
        return
    incident.rsit_class, incident.rsit_type = category.rsit_class, category.type
    _log(session, actor, incident, "category", message(N_("Category %(old)s → %(new)s"), old=vocab("category", old),
                                                       new=vocab("category", incident.category)),
         action="incident.categorise", old=old, new=incident.category, reason=reason)


def comment(session: Session, actor: Actor, reference: str, body: str, *, internal: bool = False) -> TimelineEntry:
    """Add a comment. Reporters comment on their own incidents; staff on any,
    and only staff may write internal notes the reporter does not see."""
    body = body.strip()
    if not body:
        raise Invalid(N_("comment is empty"))
    if len(body) > 20_000:
        raise Invalid(N_("comment longer than 20,000 characters"))
    incident = get(session, actor, reference)
    if actor.role is Role.LEADERSHIP:
        raise Forbidden(N_("leadership accounts are read-only"))
    if not actor.is_national:
        if incident.reporter_org_id != actor.org_id:
            raise Forbidden(N_("you can comment only on your own organisation's incidents"))
        if internal:
            raise Forbidden(N_("internal notes are for national-centre staff"))
    entry = _log(session, actor, incident, "comment", body, action="incident.comment", internal=internal)
    session.flush()  # the caller shows the new entry, with its id
    return entry


def merge(session: Session, actor: Actor, reference: str, into: str, reason: str = "") -> Incident:
    """Group a duplicate under another incident: a national decision that copies nothing.

    Each report keeps its own indicators, sectors and label. National staff read
    the group through ``merged_into_id`` (``indicators.facts_of``); a reporter
    still sees only what it may see of the other report, so a merge never shows
    one organisation another's hidden indicators or sector."""
    require_triage(actor)
    source = get(session, actor, reference)
    target = get(session, actor, into)
    if source.id == target.id:
        raise Conflict(N_("an incident cannot be merged into itself"))
    if source.status is Status.MERGED:
        raise Conflict(N_("%(reference)s is already merged into %(target)s"),
                       reference=source.reference, target=source.merged_into.reference)
    if target.status is Status.MERGED:
        raise Conflict(N_("%(reference)s is itself merged into %(target)s; merge into that"),
                       reference=target.reference, target=target.merged_into.reference)
    if target.status is Status.CLOSED:
        raise Conflict(N_("%(reference)s is closed; reopen it first"), reference=target.reference)
    old = source.status
    source.status = Status.MERGED
    source.merged_into_id = target.id
    source.merged_into = target
    stopped = next_due.stop(session, source)  # the kept incident's clocks supersede the duplicate's
    # Internal: each entry names the other incident, which someone who sees this
    # one may not be allowed to see (a TLP:GREEN duplicate of a TLP:RED incident).
    # Reporters still see the status, and merged_into where access.visible allows.
    _log(session, actor, source, "merged",
         message(N_("Merged into %(target)s: %(reason)s"), target=target.reference, reason=reason) if reason else
         message(N_("Merged into %(target)s"), target=target.reference),
         action="incident.merge", internal=True, old=str(old), into=target.reference, reason=reason,
         clocks_stopped=stopped)
    _log(session, actor, target, "merge-received",
         message(N_("%(source)s merged into this incident"), source=source.reference),
         action="incident.merge-receive", internal=True, source=source.reference)
    return source


def split(session: Session, actor: Actor, reference: str, reason: str) -> Incident:
    """Take a merged report back out of the incident it was merged into: it returns to the
    queue as triaged with its own clocks running again."""
    require_triage(actor)
    if not reason.strip():
        raise Invalid(N_("splitting a merged report out needs a reason"))
    source = get(session, actor, reference)
    if source.status is not Status.MERGED:
        raise Conflict(N_("%(reference)s is not merged into another incident"),
                       reference=source.reference, code="invalid_transition")
    target = source.merged_into
    source.status = Status.TRIAGED
    source.merged_into_id = None
    source.merged_into = None
    resumed = next_due.resume(session, source)
    _log(session, actor, source, "split",
         message(N_("Split out of %(target)s: %(reason)s"), target=target.reference, reason=reason.strip()),
         action="incident.split", internal=True, old=str(Status.MERGED), new=str(Status.TRIAGED),
         out_of=target.reference, reason=reason.strip(), clocks_resumed=resumed)
    _log(session, actor, target, "split-out",
         message(N_("%(source)s split out of this incident"), source=source.reference),
         action="incident.split-out", internal=True, source=source.reference)
    return source


def duplicates(session: Session, actor: Actor, incident: Incident) -> list[str]:
    """References of the reports merged into ``incident`` that ``actor`` may see."""
    stmt = select(Incident.reference).where(Incident.merged_into_id == incident.id).order_by(Incident.id)
    return list(session.scalars(scope(actor, stmt)))


def reopen(session: Session, actor: Actor, reference: str, reason: str) -> Incident:
    """Bring a resolved or closed incident back into the queue as triaged."""
    require_triage(actor)
    if not reason.strip():
        raise Invalid(N_("reopening needs a reason"))
    incident = get(session, actor, reference)
    if incident.status not in REOPENABLE:
        raise Conflict(N_("only resolved or closed incidents can be reopened; %(reference)s is %(status)s"),
                       reference=incident.reference, status=incident.status, code="invalid_transition")
    old = incident.status
    incident.status = Status.TRIAGED
    incident.resolved_at = incident.closed_at = None
    _log(session, actor, incident, "reopened", message(N_("Reopened: %(reason)s"), reason=reason.strip()),
         action="incident.reopen",
         old=str(old), new=str(Status.TRIAGED), reason=reason.strip())
    return incident


def note(session: Session, actor: Actor, incident: Incident, kind: str, body: str | Message, *, action: str,
         **details: Any) -> TimelineEntry:
    """Record an action another service took on the incident (export, publish…): ``body`` a message
    (``ncert.timeline_text``) the console says in the reader's language, or text kept as written."""
    return _log(session, actor, incident, kind, body, action=action, **details)


@dataclass(frozen=True)
class Change:
    """One change logged while ``batched`` collects them instead of writing an entry each."""

    incident: Incident
    kind: str
    body: str  # given as a message (``ncert.timeline_text``), the message in English
    internal: bool
    action: str | None  # the audit event's; None: another change of the batch is audited for it
    details: dict[str, Any]
    message: Message | None = None

    def __post_init__(self) -> None:
        if isinstance(self.body, dict):
            object.__setattr__(self, "message", self.body)
            object.__setattr__(self, "body", english(self.body))


@contextmanager
def batched(session: Session) -> Iterator[list[Change]]:
    """Collect the changes logged inside the block, so the caller writes them as one entry."""
    changes: list[Change] = []
    session.info[BATCH] = changes
    try:
        yield changes
    finally:
        del session.info[BATCH]


def log_many(session: Session, actor: Actor, changes: list[Change], at: datetime | None = None,
             values: dict[Incident, dict[str, Any]] | None = None) -> None:
    """``note`` for many changes at once (a playbook run's or a categorised burst's notes): the
    entries go in as one executemany and the incidents' change times, with any other ``values`` the
    changes made (``update_many``), as one update, not as ORM objects, whose unit-of-work bookkeeping
    was most of a burst's cost (issue 13). What the session holds still pending is written first, so
    the timeline keeps its order. The entries are not returned."""
    if not changes:
        return
    if any(change.kind == "status" for change in changes):  # rollups note status entries as ORM objects
        raise ValueError("status changes are logged one by one (_log), never by log_many")
    now = at or utcnow()
    rows, stamps = [], {}
    for change in changes:
        incident = change.incident
        stamp = stamps.setdefault(incident, {**(values or {}).get(incident, {}), "updated_at": now})
        if not change.internal:
            stamp["shared_updated_at"] = now
        rows.append({"incident_id": incident.id, "at": now, "kind": change.kind, "actor": actor.label,
                     "user_id": actor.user_id, "org_id": actor.org_id, "body": change.body,
                     "internal": change.internal, "details": change.details, "message": change.message})
        if change.action is not None:
            audit.record(session, actor, change.action, "incident", incident.reference, **change.details)
    update_many(session, stamps)
    session.execute(insert(TimelineEntry.__table__), rows)  # Core: the ORM's bulk insert costs a mapper pass a row


def update_many(session: Session, values: dict[Incident, dict[str, Any]]) -> None:
    """Give these loaded incidents new column values (attribute name → value) as one executemany per
    set of columns, past the ORM's unit of work, whose bookkeeping of a dirty incident's relationships
    cost more than the rest of a burst's writes (issue 13). What the session holds pending is flushed
    first; a value equal to the loaded one is no change. The objects then hold the values as stored,
    the rollups hear of the moves and the search index of the rows, as after a flush."""
    session.flush()
    changed: dict[Incident, dict[str, Any]] = {}
    for incident, columns in values.items():
        loaded = incident.__dict__
        if new := {name: value for name, value in columns.items() if name not in loaded or loaded[name] != value}:
            changed[incident] = new
    if not changed:
        return
    ids = [incident.id for incident in changed]
    moves = rollups.counts_by({name for columns in changed.values() for name in columns})
    if moves:
        rollups.moving(session, ids)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for incident, columns in changed.items():
        by_columns[tuple(sorted(columns))].append({"_id": incident.id, **columns})
    table = Incident.__table__
    for names, rows in by_columns.items():
        session.connection().execute(update(table).where(table.c.id == bindparam("_id"))
                                     .values({name: bindparam(name) for name in names}), rows)
    for incident, columns in changed.items():
        for name, value in columns.items():
            set_committed_value(incident, name, value)
    if moves:
        rollups.recount_incidents(session, ids)
    indexing.incidents_changed(session, ids)


def _log(session: Session, actor: Actor, incident: Incident, kind: str, body: str | Message, *, action: str,
         internal: bool = False, at: datetime | None = None, **details: Any) -> TimelineEntry | None:
    """One timeline entry and one audit event for one change (collected instead inside
    ``batched``); an internal one leaves the time the reporter sees the incident last changed.
    ``body`` is text kept as written (a comment) or a message (``ncert.timeline_text``): the entry
    then keeps it, to be said in the reader's language, and its English as the body."""
    now = at or utcnow()
    incident.updated_at = now  # an equal value is no change: the row is not written again for it
    if not internal:
        incident.shared_updated_at = now
    change = Change(incident, kind, body, internal, action, details)
    if BATCH in session.info:
        session.info[BATCH].append(change)
        return None
    entry = TimelineEntry(incident_id=incident.id, at=now, kind=kind, actor=actor.label, user_id=actor.user_id,
                          org_id=actor.org_id, body=change.body, internal=internal, details=details,
                          message=change.message)
    session.add(entry)
    audit.record(session, actor, action, "incident", incident.reference, **details)
    return entry  # written at the next flush: the caller's next query or its commit
