"""The national severity assessment of an incident: the analyst's answers, what
was derived from the data, and the score ``ncert.scoring`` computed from both."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ncert.db import Base, utcnow


class IncidentAssessment(Base):
    """The current assessment of one incident; re-assessing replaces it (the timeline keeps the history)."""

    __tablename__ = "incident_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)

    # The analyst's answers (values of the ncert.scoring scales).
    functional_impact: Mapped[str] = mapped_column(String(64))
    information_impact: Mapped[str] = mapped_column(String(64))
    recoverability: Mapped[str] = mapped_column(String(32))
    observed_activity: Mapped[str] = mapped_column(String(32))
    potential_impact: Mapped[str] = mapped_column(String(32))
    member_states_affected: Mapped[int] = mapped_column(default=1)
    safety_effect: Mapped[bool] = mapped_column(default=False)
    operations_disrupted: Mapped[bool] = mapped_column(default=False)
    outlook: Mapped[str | None] = mapped_column(String(16))
    rationale: Mapped[str] = mapped_column(Text, default="")

    # Derived from the data when assessed.
    sector_criticality: Mapped[int]
    sectors_affected: Mapped[int]
    entity_class: Mapped[str | None] = mapped_column(String(16))

    # The result.
    score: Mapped[float] = mapped_column(Float)  # as the migration declares it
    base_level: Mapped[int]
    level: Mapped[int]
    breakdown: Mapped[list] = mapped_column(default=list)  # [{factor, value, weight, points}]
    overrides: Mapped[list] = mapped_column(default=list)
    flags: Mapped[list] = mapped_column(default=list)
    ncsc_category: Mapped[int]
    eu_colour: Mapped[str] = mapped_column(String(8))

    assessed_by: Mapped[str] = mapped_column(String(400))  # the actor's label
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
