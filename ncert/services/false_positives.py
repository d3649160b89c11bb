"""Operators mark an indicator value a false positive nationally, with a reason, or clear the mark.

A marked value counts for nothing in correlation, anomaly features and the
playbooks' ``sectors_sharing_indicator`` (``indicators.correlates``), like a
warninglist hit. Every mark and clearing is audited. Organisations see that a
value they may see is marked (``false_positive``), not the reason, which is the
centre's and may name reports hidden from them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Forbidden, Invalid
from ncert.i18n import N_
from ncert.models import Indicator
from ncert.services import audit
from ncert.services.indicator_profile import find

MAX_REASON = 2000


def mark(session: Session, actor: Actor, kind: str, value: str, reason: str) -> Indicator:
    _require_operator(actor)
    reason = reason.strip()
    if not reason:
        raise Invalid(N_("marking a false positive needs a reason"))
    if len(reason) > MAX_REASON:
        raise Invalid(N_("the reason is longer than %(count)s characters"), count=MAX_REASON)
    indicator = find(session, kind, value)
    indicator.false_positive_reason, indicator.false_positive_by = reason, actor.label
    indicator.false_positive_at = utcnow()
    audit.record(session, actor, "indicator.false-positive", "indicator", indicator.id,
                 type=indicator.type, value=indicator.value, reason=reason)
    return indicator


def clear(session: Session, actor: Actor, kind: str, value: str, reason: str = "") -> Indicator:
    _require_operator(actor)
    indicator = find(session, kind, value)
    if indicator.is_false_positive:
        indicator.false_positive_reason = indicator.false_positive_by = indicator.false_positive_at = None
        audit.record(session, actor, "indicator.false-positive-cleared", "indicator", indicator.id,
                     type=indicator.type, value=indicator.value, reason=reason.strip())
    return indicator


def _require_operator(actor: Actor) -> None:
    if not actor.can_triage:
        raise Forbidden(N_("only SOC operators and admins mark indicators false positive"))
