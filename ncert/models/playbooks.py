"""What playbooks leave behind: tasks, regulatory deadlines, firings,
notifications and national incidents grouping related reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ncert.db import Base, utcnow
from ncert.models.directory import User
from ncert.models.teams import Team


class Task(Base):
    """National work on an incident: a checklist item a playbook opened or an operator wrote.
    Its assignee is a person, a team, or both; a mandatory open task blocks resolving the incident.
    Requests to other organisations are ``ncert.models.rfis.Rfi``, not tasks."""

    __tablename__ = "incident_tasks"
    __table_args__ = (Index("ix_incident_tasks_open", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    checklist: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done | cancelled
    mandatory: Mapped[bool] = mapped_column(default=False, server_default=false())
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    due_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(400))  # "playbook <name> v<version>" or a user's label
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]  # when it was last marked done or cancelled
    closed_by: Mapped[str | None] = mapped_column(String(400))

    assignee: Mapped[User | None] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")


class RegulatoryDeadline(Base):
    """One stage of a reporting regime (ncert.clocks) running for one incident."""

    __tablename__ = "regulatory_deadlines"
    __table_args__ = (
        UniqueConstraint("incident_id", "regime", "stage"),
        Index("ix_regulatory_deadlines_open", "received_at", "due_at"),
        # An incident's open clocks: equal on two columns, so SQLite prefers it to ..._open (whose
        # statistics count few rows per received_at, though every open clock has NULL there).
        Index("ix_regulatory_deadlines_incident_open", "incident_id", "received_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    regime: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(64))
    aware_at: Mapped[datetime]
    due_at: Mapped[datetime]
    received_at: Mapped[datetime | None]
    approaching_fired_at: Mapped[datetime | None]
    overdue_fired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Started by a rule reading national data (crisis mode): national staff only.
    internal: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Stopped when the incident was merged into another (whose clocks supersede it); cleared on split.
    stopped_at: Mapped[datetime | None]


class PlaybookFiring(Base):
    """One action of one playbook applied to one incident.

    ``subject`` tells repeated triggers apart ("" for incident triggers, the
    deadline for deadline triggers); the unique key is what makes re-running
    the engine a no-op.
    """

    __tablename__ = "playbook_firings"
    __table_args__ = (UniqueConstraint("playbook", "incident_id", "action_index", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    action_index: Mapped[int]
    subject: Mapped[str] = mapped_column(String(64), default="")
    trigger: Mapped[str] = mapped_column(String(32))
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """An e-mail or webhook call a playbook sent, and how the delivery went."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    target: Mapped[str] = mapped_column(Text)  # recipients, comma-separated, or the URL
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class NationalIncident(Base):
    """One national incident grouping related reports (e.g. one campaign across sectors)."""

    __tablename__ = "national_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NationalIncidentMember(Base):
    """An incident's place in a national incident (at most one each)."""

    __tablename__ = "national_incident_members"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    national_incident_id: Mapped[int] = mapped_column(ForeignKey("national_incidents.id", ondelete="CASCADE"),
                                                      index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredPlaybook(Base):
    """A playbook as the running library knows it: managed by admins from the
    console, seeded from the YAML folder. ``revision`` counts every change (a
    new version, enabling, disabling), so engines can tell a stale cache."""

    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int]  # the current version
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(400))


class PlaybookVersion(Base):
    """Every text a playbook has had; versions are never edited or removed."""

    __tablename__ = "playbook_versions"
    __table_args__ = (UniqueConstraint("playbook_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # library | console | cli
    author: Mapped[str] = mapped_column(String(400))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
