"""Incidents, their affected sectors and their timeline."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ncert.db import Base, EnumText, utcnow
from ncert.models.directory import Organization, Sector, User
from ncert.models.teams import Team
from ncert.taxonomy import TLP, Status

incident_affected_sectors = Table(
    "incident_affected_sectors",
    Base.metadata,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sectors.id"), primary_key=True, index=True),
)


NO_DEADLINE = datetime(9999, 12, 31, tzinfo=timezone.utc)  # sorts after every real deadline, on every backend
NO_DEADLINE_SQL = "9999-12-31 00:00:00"


class ReferenceCounter(Base):
    """Per-year counter behind the human references NC-<year>-<6 digits>."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(default=0)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        # Keyset paging: every sort key is paired with id, and the queue's most
        # common filter (status) leads its own index.
        Index("ix_incidents_reported", "reported_at", "id"),
        Index("ix_incidents_updated", "updated_at", "id"),
        Index("ix_incidents_severity", "severity", "id"),
        Index("ix_incidents_communicated_severity", "communicated_severity", "id"),
        Index("ix_incidents_shared_updated", "shared_updated_at", "id"),
        Index("ix_incidents_status_reported", "status", "reported_at", "id"),
        # One status by national severity: walking the severity index met one "new" report in forty (0021).
        Index("ix_incidents_status_severity", "status", "severity", "id"),
        # On PostgreSQL merged_into_id and tlp ride along, so that a card's NIS2 stages walk the
        # reporter's or sector's unmerged, visible incidents in the index alone (index-only scans).
        # Not on SQLite, whose planner then preferred merging two indexes for an analyst's queue.
        Index("ix_incidents_sector_reported", "sector_id", "reported_at", "id",
              postgresql_include=["merged_into_id", "tlp"]),
        Index("ix_incidents_reporter_reported", "reporter_org_id", "reported_at", "id",
              postgresql_include=["merged_into_id", "tlp"]),
        # The analyst's visibility rule (access.scope: own organisation OR a community label):
        # per-status counts from the index alone, and the label arm in date order (0010a).
        Index("ix_incidents_status_visibility", "status", "tlp", "reporter_org_id"),
        Index("ix_incidents_tlp_reported", "tlp", "reported_at", "id"),
        # "Sort by next deadline": the soonest open regulatory deadline, kept by services.clocks (0012c).
        Index("ix_incidents_next_due", "next_due_at", "id"),
        Index("ix_incidents_shared_next_due", "shared_next_due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    reporter_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id"))
    status: Mapped[Status] = mapped_column(EnumText(Status, 16), default=Status.NEW)
    rsit_class: Mapped[str] = mapped_column(String(48))
    rsit_type: Mapped[str] = mapped_column(String(64))
    # The national severity: set by national staff, the national score and
    # playbooks, and shown to national staff only (``access.severity_of``).
    severity: Mapped[int] = mapped_column(default=1)
    # The reporter's hint as given, and what the reporter (and anyone else who
    # may read the report) sees: the hint until an operator explicitly decides another.
    reported_severity: Mapped[int | None]
    communicated_severity: Mapped[int] = mapped_column(default=1, server_default="1")
    tlp: Mapped[TLP] = mapped_column(EnumText(TLP, 20))
    occurred_at: Mapped[datetime | None]
    aware_at: Mapped[datetime | None]
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last change the reporter may see (``access.updated_column``): internal notes leave it.
    shared_updated_at: Mapped[datetime] = mapped_column(default=utcnow, server_default="1970-01-01 00:00:00")
    # The soonest open (unreceived, running) regulatory deadline, ``NO_DEADLINE`` without one; the
    # shared one leaves internal deadlines out (``access.next_due_column``). Kept by services.clocks.
    next_due_at: Mapped[datetime] = mapped_column(default=lambda: NO_DEADLINE, server_default=NO_DEADLINE_SQL)
    shared_next_due_at: Mapped[datetime] = mapped_column(default=lambda: NO_DEADLINE, server_default=NO_DEADLINE_SQL)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    source_channel: Mapped[str] = mapped_column(String(16))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)

    reporter_org: Mapped[Organization] = relationship(lazy="joined")
    sector: Mapped[Sector] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")
    merged_into: Mapped["Incident | None"] = relationship(remote_side=[id], lazy="select")
    affected_sectors: Mapped[list[Sector]] = relationship(
        secondary=incident_affected_sectors, lazy="selectin", order_by=Sector.slug
    )
    external_refs: Mapped[list["ExternalRef"]] = relationship(lazy="selectin", cascade="all, delete-orphan")
    timeline: Mapped[list["TimelineEntry"]] = relationship(
        back_populates="incident", lazy="select", order_by="TimelineEntry.id"
    )

    @property
    def category(self) -> str:
        return f"{self.rsit_class}/{self.rsit_type}"

    @property
    def external_ids(self) -> dict[str, str]:
        return {ref.system: ref.value for ref in self.external_refs}


class ExternalRef(Base):
    """An id the reporter's own system (ticketing, MISP, STIX…) gives an incident.

    Unique per reporting organisation and system: resubmitting the same
    external id is how ingestion stays idempotent.
    """

    __tablename__ = "incident_external_refs"
    __table_args__ = (UniqueConstraint("org_id", "system", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    system: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(256))


class TimelineEntry(Base):
    """Every change, comment and action on an incident, in order."""

    __tablename__ = "timeline_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(400))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    # Internal entries are for national-centre staff only, never the reporter.
    internal: Mapped[bool] = mapped_column(default=False)
    details: Mapped[dict] = mapped_column(default=dict)
    # What the system wrote, to be said again in the reader's language: {"id": msgid, "args": {...}}
    # (``ncert.timeline_text``); ``body`` is it in English. None for comments and older entries.
    message: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), default=None)

    incident: Mapped[Incident] = relationship(back_populates="timeline")
