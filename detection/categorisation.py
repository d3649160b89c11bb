"""Category suggestions on intake, operators' decisions, and training from them.

Two models, so that what a reporter sees never depends on another organisation's report
("derived data is data"):

* ``categoriser-reporter`` is trained on the shipped corpus alone. Its suggestion is the one
  the reporter (and anyone else who may read the report) is shown, and the only one that may
  set the category as "suggested". It is a function of the report's own text and the corpus.
* ``categoriser-national`` is trained on the corpus plus every confirmed or corrected report
  (weighted: ``CORRECTED_WEIGHT``, ``ACCEPTED_WEIGHT``). It learns from all organisations'
  text, so only national staff see its suggestion.

A suggestion is made for every report that arrives without a category, in the incidents
service hook, before the playbook engine sees the new incident. With no active model there is
no suggestion (rules only). An operator accepts the national suggestion or corrects the
category (``decide``, or any category change by national staff): the report is then
"confirmed" and becomes training data for the next ``train``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from detection import categoriser, modelstore
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden
from ncert.i18n import N_
from ncert.models import CategorySuggestion, Incident
from ncert.records import Category, IncidentPatch
from ncert.runtime import Runtime, hooks_of
from ncert.services import incidents
from ncert.taxonomy import UNCATEGORISED
from ncert.timeline_text import message, vocab

REPORTER, NATIONAL = "categoriser-reporter", "categoriser-national"
NAMES = (REPORTER, NATIONAL)
CORRECTED_WEIGHT = 3.0  # an operator overruled the model: the strongest signal there is
ACCEPTED_WEIGHT = 1.5
PROMOTION_METRIC = "macro_f1"  # on the corpus's held-out split, the same for every version
EXTENSION = "categorisation"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Installed:
    threshold: float  # a reporter-model confidence at or above this sets the category as "suggested"


def install(runtime: Runtime, threshold: float | None = None) -> None:
    """Suggest categories for new reports on ``runtime``, before the other listeners (idempotent)."""
    runtime.hooks.extensions[EXTENSION] = Installed(
        runtime.settings.category_suggestion_threshold if threshold is None else threshold)
    if on_incident_changed not in runtime.hooks.incident_listeners:
        runtime.hooks.incident_listeners.insert(0, on_incident_changed)


def uninstall(runtime: Runtime) -> None:
    while on_incident_changed in runtime.hooks.incident_listeners:
        runtime.hooks.incident_listeners.remove(on_incident_changed)
    runtime.hooks.extensions.pop(EXTENSION, None)


def on_incident_changed(session: Session, actor: Actor, incident: Incident, change: str) -> None:
    """Suggest for a new uncategorised report; note an operator's category change as a decision."""
    from playbooks import engine

    installed = hooks_of(session).extensions.get(EXTENSION)
    if installed is None or engine.running():
        return
    if change == "created":
        if (incident.rsit_class, incident.rsit_type) == UNCATEGORISED:
            suggest(session, actor, incident, installed.threshold)
    elif actor.can_triage and (actor.user_id is not None or actor.api_key_id is not None):
        row = session.get(CategorySuggestion, incident.id)
        if row is not None and row.decision is None and _category(incident) != _unconfirmed(row):
            _decided(row, incident, actor, utcnow())


def _category(incident: Incident) -> tuple[str, str]:
    return incident.rsit_class, incident.rsit_type


def _unconfirmed(row: CategorySuggestion) -> tuple[str, str]:
    """The category a report has while nobody decided: the applied suggestion, or none."""
    return (row.reporter_class, row.reporter_type) if row.applied else UNCATEGORISED


def _decided(row: CategorySuggestion, incident: Incident, actor: Actor, now: datetime) -> None:
    row.decision = "accepted" if _category(incident) == (row.national_class, row.national_type) else "corrected"
    row.decided_at, row.decided_by = now, actor.label


def suggest(session: Session, actor: Actor, incident: Incident, threshold: float) -> bool:
    """Store both models' suggestions for ``incident``, note them on its timeline, and set the
    reporter model's as the "suggested" category when it is confident enough; False when no model
    could suggest."""
    return bool(suggest_many(session, actor, [incident], threshold))


def suggest_many(session: Session, actor: Actor, batch: list[Incident], threshold: float) -> list[int]:
    """``suggest`` for each incident of ``batch`` (a burst of intake), each model run once over
    the batch's texts and the suggestions and notes written as one insert each; the ids of the
    incidents suggested for (none when no model is active or the stored one is refused)."""
    try:
        reporter = modelstore.load_active(session, REPORTER, categoriser.Model)
        national = modelstore.load_active(session, NATIONAL, categoriser.Model) or reporter
    except modelstore.UnsafeModel as exc:  # a tampered row: no suggestion, and say so loudly
        log.error("categoriser model refused, %s get no suggestion: %s", ", ".join(i.reference for i in batch), exc)
        return []
    if reporter is None or not batch:
        return []
    texts = [f"{incident.title}\n{incident.description}" for incident in batch]
    shown_all = categoriser.suggest(reporter.estimator, texts)
    best_all = categoriser.suggest(national.estimator, texts) if national is not reporter else shown_all
    now = utcnow()
    rows, notes, applied = [], [], {}
    for incident, shown, best in zip(batch, shown_all, best_all, strict=True):
        rows.append(_suggested(incident, shown, best, reporter.label, national.label, threshold, now))
        notes += _notes(incident, shown, best, reporter.label, national.label, rows[-1]["applied"])
        if rows[-1]["applied"]:  # the reporter model is confident: its category is set, as "suggested"
            applied[incident] = {"rsit_class": shown.rsit_class, "rsit_type": shown.rsit_type}
    incidents.log_many(session, actor, notes, at=now, values=applied)
    session.execute(insert(CategorySuggestion.__table__), rows)
    return [row["incident_id"] for row in rows]


def _suggested(incident: Incident, shown: categoriser.Suggestion, best: categoriser.Suggestion, reporter: str,
               national: str, threshold: float, now: datetime) -> dict:
    """The suggestion row for ``incident``: applied when the reporter model is confident."""
    applied = shown.confidence >= threshold
    return {"incident_id": incident.id, "suggested_at": now, "applied": applied,
            "national_class": best.rsit_class, "national_type": best.rsit_type,
            "national_confidence": best.confidence, "national_model": national,
            "reporter_class": shown.rsit_class, "reporter_type": shown.rsit_type,
            "reporter_confidence": shown.confidence, "reporter_model": reporter}


def _notes(incident: Incident, shown: categoriser.Suggestion, best: categoriser.Suggestion, reporter: str,
           national: str, applied: bool) -> list[incidents.Change]:
    """What the timeline says: the reporter model's suggestion, which the reporter may read, and the
    national model's, internal. One suggestion is one audit event, which the internal note carries
    with both models' answers."""
    pair, national_pair = f"{shown.rsit_class}/{shown.rsit_type}", f"{best.rsit_class}/{best.rsit_type}"
    said = {"category": vocab("category", pair), "confidence": f"{shown.confidence:.2f}", "model": reporter}
    reported = {"suggested": pair, "confidence": shown.confidence, "model_version": reporter, "applied": applied}
    return [
        incidents.Change(incident, "category-suggestion",
                         message(N_("Suggested category %(category)s (confidence %(confidence)s, %(model)s): set as "
                                    "suggested, not yet confirmed"), **said) if applied else
                         message(N_("Suggested category %(category)s (confidence %(confidence)s, %(model)s)"), **said),
                         internal=False, action=None, details=reported),
        incidents.Change(incident, "category-suggestion",
                         message(N_("National model suggests %(category)s (confidence %(confidence)s, %(model)s)"),
                                 category=vocab("category", national_pair), confidence=f"{best.confidence:.2f}",
                                 model=national),
                         internal=True, action="incident.category-suggest",
                         details={"suggested": national_pair, "confidence": best.confidence,
                                  "model_version": national, "reporter": reported}),
    ]


# -- reading and deciding ----------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """The suggestion an actor may see, and whether the category is still unconfirmed."""

    rsit_class: str
    rsit_type: str
    confidence: float
    model_version: str
    applied: bool
    decision: str | None

    @property
    def pair(self) -> str:
        return f"{self.rsit_class}/{self.rsit_type}"


def shown(row: CategorySuggestion | None, actor: Actor) -> Shown | None:
    """National staff see the national model's suggestion; everyone else the reporter model's."""
    if row is None:
        return None
    if actor.is_national:
        return Shown(row.national_class, row.national_type, row.national_confidence, row.national_model,
                     row.applied, row.decision)
    return Shown(row.reporter_class, row.reporter_type, row.reporter_confidence, row.reporter_model,
                 row.applied, row.decision)


def of(session: Session, actor: Actor, incident: Incident) -> Shown | None:
    """The suggestion for ``incident`` as ``actor`` may see it (the caller read the incident through access)."""
    return shown(session.get(CategorySuggestion, incident.id), actor)


def of_many(session: Session, actor: Actor, incident_ids: list[int]) -> dict[int, Shown]:
    """Undecided suggestions of these incidents (for the queue's unconfirmed marker)."""
    if not incident_ids:
        return {}
    rows = session.scalars(select(CategorySuggestion).where(CategorySuggestion.incident_id.in_(incident_ids),
                                                            CategorySuggestion.decision.is_(None)))
    return {row.incident_id: shown(row, actor) for row in rows}


def unconfirmed(session: Session, incident_ids: list[int]) -> set[int]:
    """Those of these incidents whose category is a model's, or none, with no decision yet."""
    if not incident_ids:
        return set()
    return set(session.scalars(select(CategorySuggestion.incident_id).where(
        CategorySuggestion.incident_id.in_(incident_ids), CategorySuggestion.decision.is_(None))))


def decide(session: Session, actor: Actor, reference: str, category: Category | None = None) -> Incident:
    """Accept the national suggestion (``category`` None) or set another category: one click
    of an operator, confirming the category."""
    if not actor.can_triage:
        raise Forbidden("only SOC operators and admins confirm categories")
    incident = incidents.get(session, actor, reference)
    row = session.get(CategorySuggestion, incident.id)
    if row is None:
        raise Conflict(f"{incident.reference} has no category suggestion")
    if category is None:
        category = Category.model_validate({"class": row.national_class, "type": row.national_type})
    reason = "accepted the suggested category" if (category.rsit_class, category.type) == (
        row.national_class, row.national_type) else "corrected the suggested category"
    if _category(incident) != (category.rsit_class, category.type):
        incidents.update_fields(session, actor, reference, IncidentPatch(category=category, reason=reason))
    else:
        incidents.note(session, actor, incident, "category",
                       message(N_("Category %(category)s confirmed"), category=vocab("category", incident.category)),
                       action="incident.categorise", old=incident.category, new=incident.category, reason=reason)
    _decided(row, incident, actor, utcnow())
    session.flush()
    return incident
