"""Triage in one step: status, category, severities, TLP, team and assignee with one reason.

The rules and permission checks are ``incidents.update_fields``'s; what differs is the
record: the changes become one timeline entry (and one audit event) instead of one each.
A reporter never reads the national severity, so a change to it goes into a second,
internal entry when shared fields change with it: one entry per audience.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.i18n import N_
from ncert.models import Incident, TimelineEntry
from ncert.records import IncidentPatch
from ncert.services import incidents
from ncert.timeline_text import joined, message

KIND = "triage"


@dataclass(frozen=True)
class Triage:
    incident: Incident
    entries: list[TimelineEntry]  # empty when nothing changed


def triage(session: Session, actor: Actor, reference: str, patch: IncidentPatch) -> Triage:
    """Apply every field of ``patch`` that differs from the incident, all or nothing.

    Giving the current status is not a move (the one form always sends it); any
    other refusal (a forbidden transition, an unknown team or assignee) raises
    before the caller commits, so nothing of the triage is written."""
    incidents.require_triage(actor)
    incident = incidents.get(session, actor, reference)
    fields = patch.model_fields_set - {"reason"}
    if "status" in fields and patch.status == incident.status:
        fields.discard("status")
    quiet = IncidentPatch.model_construct(_fields_set=fields, reason="",
                                          **{name: getattr(patch, name) for name in fields})
    with incidents.batched(session) as changes:
        incidents.apply_patch(session, actor, incident, quiet)
    entries = [_entry(session, actor, incident, group, patch.reason, internal)
               for internal, group in ((False, [c for c in changes if not c.internal]),
                                       (True, [c for c in changes if c.internal])) if group]
    if entries:
        incidents.announce(session, actor, incident, "patched")
    return Triage(incident, entries)


def _entry(session: Session, actor: Actor, incident: Incident, changes: list[incidents.Change], reason: str,
           internal: bool) -> TimelineEntry:
    said = joined(c.message or c.body for c in changes)
    body = message(N_("%(changes)s. Reason: %(reason)s"), changes=said, reason=reason) if reason else said
    listed = [{"action": c.action, **{k: v for k, v in c.details.items() if k not in ("reason", "internal")}}
              for c in changes]
    return incidents.note(session, actor, incident, KIND, body, action="incident.triage", internal=internal,
                          changes=listed, reason=reason)
