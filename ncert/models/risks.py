"""The national cyber-risk register: risks, their versions, the risk matrix,
links to incidents and the notifications sent to risk owners.

A risk's assessment carries a snapshot of the matrix it was scored under, and
every change is a ``RiskVersion`` holding the whole register entry, so neither
a new matrix nor a later edit rewrites what was recorded.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ncert.db import Base, utcnow
from ncert.models.directory import Organization
from ncert.models.teams import Team


class RiskMatrix(Base):
    """One version of the risk matrix (scales with their wording and the level of
    each cell); the highest version is the one in force. Versions are never edited."""

    __tablename__ = "risk_matrices"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    definition: Mapped[dict] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Risk(Base):
    __tablename__ = "risks"
    __table_args__ = (Index("ix_risks_status_review", "status", "next_review_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    scenario: Mapped[str] = mapped_column(Text, default="")
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    owner_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    owner_person: Mapped[str] = mapped_column(String(200), default="")
    owner_email: Mapped[str] = mapped_column(String(320), default="")
    # Read-only access for the owner organisation's analysts; national staff only otherwise.
    shared_with_owner: Mapped[bool] = mapped_column(default=False)
    sectors: Mapped[list] = mapped_column(default=list)  # sector slugs
    essential_services: Mapped[list] = mapped_column(default=list)
    threat: Mapped[dict] = mapped_column(default=dict)  # {"rsit": ["class" | "class/type"], "attack": ["T1486"]}
    vulnerabilities: Mapped[list] = mapped_column(default=list)
    controls: Mapped[list] = mapped_column(default=list)
    evidence: Mapped[dict] = mapped_column(default=dict)  # {"indicators": [...], "min_severity": n}
    review_frequency_days: Mapped[int] = mapped_column(default=90)
    next_review_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="draft")
    assessment: Mapped[dict | None] = mapped_column()  # levels, rationales and the matrix snapshot
    treatment: Mapped[dict | None] = mapped_column()  # strategy, actions, acceptance
    # Denormalised from the assessment, for the heat maps.
    current_likelihood: Mapped[int | None]
    current_impact: Mapped[int | None]
    residual_likelihood: Mapped[int | None]
    residual_impact: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Drift (ncert.services.risk_evidence): derived from incidents, not part of a version.
    observed_likelihood: Mapped[int | None]
    drift_since: Mapped[datetime | None]
    review_suggested_at: Mapped[datetime | None]

    owner_org: Mapped[Organization | None] = relationship(lazy="joined")
    owner_team: Mapped[Team | None] = relationship(lazy="joined")


class RiskVersion(Base):
    """The whole register entry after one change, with who, when and why."""

    __tablename__ = "risk_versions"
    __table_args__ = (UniqueConstraint("risk_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"))
    version: Mapped[int]
    snapshot: Mapped[dict] = mapped_column()
    author: Mapped[str] = mapped_column(String(400))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskIncident(Base):
    """An incident an operator (or a playbook) linked to a risk as evidence."""

    __tablename__ = "risk_incidents"

    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    linked_by: Mapped[str] = mapped_column(String(400))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskNotification(Base):
    """An e-mail to a risk's owner (review due or overdue, drift), sent once per ``occasion``."""

    __tablename__ = "risk_notifications"
    __table_args__ = (UniqueConstraint("risk_id", "kind", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # review-due | review-overdue | drift
    occasion: Mapped[str] = mapped_column(String(64))  # the review date, or the drift's start
    target: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed | not-sent
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
