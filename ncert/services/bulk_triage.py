"""One change to many incidents: assign, team, status or merge, all or nothing.

Each incident goes through the single-incident rules (``triage.triage``, ``incidents.merge``)
and so gets its own timeline entry and audit event. If any incident refuses, the whole batch
is refused with every reason at once, and the caller's transaction writes nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.errors import Conflict, Invalid, NcertError
from ncert.i18n import N_
from ncert.records import IncidentPatch
from ncert.services import incidents, triage

MAX_BATCH = 200  # the largest queue page
BULK_FIELDS = {"assignee", "team", "status"}


def _references(references: list[str]) -> list[str]:
    refs = list(dict.fromkeys(r.strip().upper() for r in references if r.strip()))
    if not refs:
        raise Invalid(N_("select at least one incident"))
    if len(refs) > MAX_BATCH:
        raise Invalid(N_("at most %(count)s incidents at once"), count=MAX_BATCH)
    return refs


def apply(session: Session, actor: Actor, references: list[str], patch: IncidentPatch) -> list[str]:
    """Apply ``patch`` (assignee, team and/or status, with a reason) to every incident;
    the references that changed."""
    incidents.require_triage(actor)
    extra = patch.model_fields_set - BULK_FIELDS - {"reason"}
    if extra:
        raise Invalid(N_("a bulk change sets only assignee, team or status, not %(extra)s"),
                      extra=', '.join(sorted(extra)))
    return _each(_references(references), lambda ref: bool(triage.triage(session, actor, ref, patch).entries))


def merge(session: Session, actor: Actor, references: list[str], into: str, reason: str = "") -> list[str]:
    """Merge every selected incident into ``into`` (left out of the selection if it is in it)."""
    incidents.require_triage(actor)
    target = incidents.get(session, actor, into).reference
    refs = [r for r in _references(references) if r != target]
    if not refs:
        raise Invalid(N_("select an incident other than the one merged into"))
    return _each(refs, lambda ref: bool(incidents.merge(session, actor, ref, target, reason)))


def _each(refs: list[str], change) -> list[str]:
    changed, refused = [], []
    for ref in refs:
        try:
            if change(ref):
                changed.append(ref)
        except NcertError as exc:
            refused.append(f"{ref}: {exc.detail}")
    if refused:
        raise Conflict(N_("nothing was changed; %(refused)s of %(total)s refused: %(reasons)s"), refused=len(refused),
                       total=len(refs), reasons="; ".join(refused), code="bulk_refused")
    return changed
