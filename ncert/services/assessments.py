"""National severity assessment: the analyst answers, the data supplies the rest,
``ncert.scoring`` scores it, and the incident's national severity follows the
level. The score counts other organisations' reports, so neither it nor the
national severity reaches the reporter: it sees the communicated severity.

Sector criticality, the sectors affected and the NIS2 entity class are derived,
not typed in: the most critical of the incident's sectors, the union of its
sectors with those of the organisations reporting one of its indicators (reported
within ``SHARING_WINDOW`` of it, as the playbooks count "sectors sharing an
indicator"), and the reporting organisation's ``nis2_entity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ncert import scoring
from ncert.access import scope, visible
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import Incident, IncidentAssessment, IncidentIndicator, Organization
from ncert.records import IncidentPatch
from ncert.services import incidents
from ncert.services.playbook_runs import SHARING_WINDOW
from ncert.taxonomy import Status
from ncert.timeline_text import Message, joined, message, vocab_term

MAX_MEMBER_STATES = 64  # the EU has 27; room for EEA and partner states


FunctionalImpact = Literal[tuple(scoring.FUNCTIONAL_IMPACT)]  # type: ignore[valid-type]
InformationImpact = Literal[tuple(scoring.INFORMATION_IMPACT)]  # type: ignore[valid-type]
Recoverability = Literal[tuple(scoring.RECOVERABILITY)]  # type: ignore[valid-type]
ObservedActivity = Literal[tuple(scoring.OBSERVED_ACTIVITY)]  # type: ignore[valid-type]
PotentialImpact = Literal[tuple(scoring.POTENTIAL_IMPACT)]  # type: ignore[valid-type]
Outlook = Literal[scoring.OUTLOOKS]  # type: ignore[valid-type]


class AssessmentInputs(BaseModel):
    """What the analyst answers (CISA Federal Incident Notification Guidelines values, standards digest §5)."""

    model_config = ConfigDict(extra="forbid")

    functional_impact: FunctionalImpact
    information_impact: InformationImpact
    recoverability: Recoverability
    observed_activity: ObservedActivity
    potential_impact: PotentialImpact
    member_states_affected: int = Field(1, ge=1, le=MAX_MEMBER_STATES)
    safety_effect: bool = Field(False, description="A death, or an effect on safety systems")
    operations_disrupted: bool = Field(False, description="The reporter's operations are disrupted")
    outlook: Outlook | None = Field(None, description="Over the next 6 hours")
    rationale: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        "", description="Why; kept in the timeline")


ANSWERS = ("functional_impact", "information_impact", "recoverability", "observed_activity", "potential_impact",
           "member_states_affected", "safety_effect", "operations_disrupted", "outlook", "rationale")


def parse(inputs: AssessmentInputs | Mapping[str, Any]) -> AssessmentInputs:
    """``inputs`` checked; a bad one is a 422 naming the field and its allowed values."""
    if isinstance(inputs, AssessmentInputs):
        return inputs
    try:
        return AssessmentInputs.model_validate(dict(inputs))
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"].removeprefix("Value error, "), "type": e["type"]}
                  for e in exc.errors()]
        first = errors[0]
        raise Invalid(f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}", errors=errors) from None


def preview(session: Session, actor: Actor, reference: str, inputs: AssessmentInputs | Mapping[str, Any],
            config: scoring.ScoringConfig) -> tuple[Incident, scoring.Score]:
    """What ``assess`` would score, without storing anything: the console shows the change first."""
    incident, _, result = _score(session, actor, reference, inputs, config)
    return incident, result


def _score(session: Session, actor: Actor, reference: str, inputs: AssessmentInputs | Mapping[str, Any],
           config: scoring.ScoringConfig) -> tuple[Incident, dict[str, Any], scoring.Score]:
    if not actor.can_triage:
        raise Forbidden(N_("only SOC operators and admins assess incidents"))
    answers = parse(inputs)
    incident = incidents.get(session, actor, reference)
    if incident.status is Status.MERGED:
        raise Conflict(N_("%(reference)s is merged into %(target)s; assess that one"),
                       reference=incident.reference, target=incident.merged_into.reference)
    derived = derive(session, actor, incident)
    return incident, derived, scoring.score(scoring.Assessment(**answers.model_dump(exclude={"rationale"}), **derived),
                                            config)


def assess(session: Session, actor: Actor, reference: str, inputs: AssessmentInputs | Mapping[str, Any],
           config: scoring.ScoringConfig, *, confirm_lower: bool = True,
           tell_reporter: str | None = None) -> IncidentAssessment:
    """Score the incident from ``inputs`` and the data, store it as its current assessment,
    and set its severity to the resulting level. SOC operators and admins only.

    Without ``confirm_lower`` a score that would lower the national severity is refused (409),
    so the console can ask first. ``tell_reporter`` (a reason written for the reporter) also
    sets the severity the reporter sees to the new level."""
    answers = parse(inputs)
    incident, derived, result = _score(session, actor, reference, answers, config)
    if result.level < incident.severity and not confirm_lower:
        raise Conflict(N_("the score lowers the national severity from %(severity)s to %(level)s; confirm to lower it"),
                       severity=incident.severity, level=result.level, code="confirm_lower")
    if tell_reporter is not None and not tell_reporter.strip():
        raise Invalid(N_("tell the reporter why: the reason is shown to them"))

    row = _row(session, incident.id)
    previous = None if row is None else (row.score, row.level)
    if row is None:
        row = IncidentAssessment(incident_id=incident.id)
        session.add(row)
    for name in ANSWERS:
        setattr(row, name, getattr(answers, name))
    for name, value in derived.items():
        setattr(row, name, value)
    row.score, row.base_level, row.level = result.score, result.base_level, result.level
    row.breakdown = [dict(factor=c.factor, answer=_answer(c.factor, answers, derived), value=round(c.value, 4),
                          weight=c.weight, points=round(c.contribution, 2)) for c in result.breakdown]
    row.overrides, row.flags = list(result.overrides), list(result.flags)
    row.ncsc_category, row.eu_colour = result.ncsc_category, result.eu_colour
    row.assessed_by, row.assessed_by_id, row.assessed_at = actor.label, actor.user_id, utcnow()
    try:
        session.flush()
    except IntegrityError:  # another operator assessed it first, concurrently
        raise Conflict(N_("%(reference)s is being assessed concurrently; retry"),
                       reference=incident.reference) from None

    incidents.note(session, actor, incident, "assessment", _summary(result, previous, answers.rationale),
                   action="incident.assess", internal=True, score=result.score, level=result.level,
                   base_level=result.base_level, ncsc_category=result.ncsc_category, eu_colour=result.eu_colour,
                   overrides=list(result.overrides), flags=list(result.flags),
                   previous=None if previous is None else {"score": previous[0], "level": previous[1]})
    if incident.severity != result.level:
        reason = f"national severity score {result.score:g}/100 gives level {result.level} ({result.level_name})"
        incidents.update_fields(session, actor, incident.reference, IncidentPatch(severity=result.level, reason=reason))
    if tell_reporter is not None and incident.communicated_severity != result.level:
        incidents.update_fields(session, actor, incident.reference, IncidentPatch(
            communicated_severity=result.level, reason=tell_reporter.strip()))
    return row


def current(session: Session, actor: Actor, incident: Incident) -> IncidentAssessment | None:
    """The incident's assessment for national staff; None if not assessed.

    404 for whoever may not see the incident, 403 for sector organisations that
    may: the score counts the sectors of other organisations' reports sharing an
    indicator with this one, which their TLP may not let this reporter learn.
    Nor does its outcome reach the reporter: it sets the national severity only."""
    if not visible(actor, incident):
        raise NotFound(N_("no incident '%(reference)s'"), reference=incident.reference)
    if not actor.is_national:
        raise Forbidden(N_("the national severity assessment is shown to national staff only: it draws on other "
                           "organisations' reports"))
    return _row(session, incident.id)


def derive(session: Session, actor: Actor, incident: Incident) -> dict[str, Any]:
    """The factors read from the data: sector criticality, sectors affected, NIS2 entity class."""
    own = [incident.sector, *incident.affected_sectors]
    return dict(
        sector_criticality=max(s.criticality for s in own),
        sectors_affected=len({s.id for s in own} | _sectors_sharing(session, actor, incident)),
        entity_class=incident.reporter_org.nis2_entity,
    )


def _sectors_sharing(session: Session, actor: Actor, incident: Incident) -> set[int]:
    """Sectors of the organisations that reported one of this incident's indicators
    near it, in visible incidents (as the playbooks count: not the sector field a
    report was filed under)."""
    mine, theirs = aliased(IncidentIndicator), aliased(IncidentIndicator)
    stmt = (
        select(Organization.sector_id).distinct()
        .select_from(Incident)
        .join(Organization, Organization.id == Incident.reporter_org_id)
        .join(theirs, theirs.incident_id == Incident.id)
        .join(mine, mine.indicator_id == theirs.indicator_id)
        .where(mine.incident_id == incident.id, Incident.id != incident.id,
               Incident.reported_at.between(incident.reported_at - SHARING_WINDOW,
                                            incident.reported_at + SHARING_WINDOW),
               Organization.sector_id.is_not(None))
    )
    return set(session.scalars(scope(actor, stmt)))


def _row(session: Session, incident_id: int) -> IncidentAssessment | None:
    return session.scalar(select(IncidentAssessment).where(IncidentAssessment.incident_id == incident_id))


def _answer(factor: str, answers: AssessmentInputs, derived: dict[str, Any]) -> str:
    """What a breakdown row's value was read from, in words."""
    if factor == "sector_criticality":
        return f"{derived['sector_criticality']} of 5"
    if factor == "cross_sector_spread":
        n = derived["sectors_affected"]
        return f"{n} sector{'s' if n != 1 else ''}"
    return getattr(answers, factor)


# What ``ncert.scoring`` says of its overrides, flags and EU colours, marked for the timeline's languages (a
# text scoring says that is not here reads as written).
_SCORING_TEXTS = (N_("safety effect: at least level 4"),
                  N_("essential entity disrupted or several sectors or member states: at least level 3"),
                  N_("outlook worsening: one level higher"), N_("large-scale candidate"),
                  N_("red"), N_("yellow"), N_("green"), N_("white"))


def _summary(result: scoring.Score, previous: tuple[float, int] | None, rationale: str) -> Message:
    level = {"score": f"{result.score:g}", "level": result.level, "level_name": vocab_term("severity", result.level)}
    said = message(N_("National severity score %(score)s/100: level %(level)s (%(level_name)s), NCSC category "
                      "%(ncsc)s, EU impact %(eu)s"), **level, ncsc=result.ncsc_category,
                   eu=message(result.eu_colour))
    if previous is not None:
        was_score, was_level = previous
        if (was_score, was_level) == (result.score, result.level):
            said = joined([said, message(N_("(re-assessed, unchanged)"))], " ")
        else:
            said = joined([said, message(N_("(was %(score)s/100, level %(level)s (%(level_name)s))"),
                                         score=f"{was_score:g}", level=was_level,
                                         level_name=vocab_term("severity", was_level))], " ")
    parts = [said, *(message(text) for text in result.overrides)]
    if result.flags:
        parts.append(message(N_("flagged %(flags)s"), flags=joined([message(f) for f in result.flags], ", ")))
    said = joined(parts)
    return joined([said, rationale], ". ") if rationale else said
