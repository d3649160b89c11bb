"""Public advisories: an advisory, each of its revisions kept as written, and the
incidents it was drafted from (internal: never published).

A revision is a draft until its drafter submits it for approval; a second person approves a
submitted revision, an approved one is published as TLP:CLEAR, and publishing the next one keeps
the earlier ones as the advisory's revision history. An advisory has at most one unpublished
revision. Withdrawing a published advisory publishes one last revision that records why; the
advisory stays public, marked withdrawn, and takes no further revisions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ncert.db import Base, utcnow


class AdvisoryCounter(Base):
    """Per-year counter behind NCERT-SA-<year>-<4 digits>: bumped with UPDATE … RETURNING in the
    drafting transaction, so two drafters wait on the row instead of both counting the same
    advisories (the counter of incidents, ``ReferenceCounter``, works the same way)."""

    __tablename__ = "advisory_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(default=0)


class Advisory(Base):
    __tablename__ = "advisories"
    __table_args__ = (Index("ix_advisories_published", "last_published_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # NCERT-SA-<year>-<4 digits>: CSAF tracking id
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_published_at: Mapped[datetime | None]  # CSAF tracking.initial_release_date
    last_published_at: Mapped[datetime | None]  # CSAF tracking.current_release_date; NULL: never published
    withdrawn_at: Mapped[datetime | None]  # set by the revision that withdraws it; NULL: not withdrawn

    revisions: Mapped[list["AdvisoryRevision"]] = relationship(
        back_populates="advisory", lazy="selectin", order_by="AdvisoryRevision.number",
        cascade="all, delete-orphan")


class AdvisoryRevision(Base):
    """One revision's whole content. ``texts`` holds each language's title, summary and
    recommended actions ({"az": {...}, "en": {...}}); the lists are the same in every language."""

    __tablename__ = "advisory_revisions"
    __table_args__ = (UniqueConstraint("advisory_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, …: CSAF's integer tracking.version once published
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted | approved | published
    texts: Mapped[dict] = mapped_column()
    severity: Mapped[str] = mapped_column(String(16))  # low | medium | high | critical
    products: Mapped[list] = mapped_column(default=list)  # [{"name", "cpe" (CPE 2.3 or null)}]
    cves: Mapped[list] = mapped_column(default=list)
    indicators: Mapped[list] = mapped_column(default=list)  # [{"type", "value"}], safe to publish
    references: Mapped[list] = mapped_column(default=list)  # [{"url", "summary"}]
    change_summary: Mapped[str] = mapped_column(Text, default="")  # the revision history's line
    # Everyone who wrote this revision: none of them may approve it.
    author_ids: Mapped[list] = mapped_column(default=list)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[str | None] = mapped_column(String(400))  # who marked it ready for approval
    submitted_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(400))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # Why the advisory was withdrawn, on the revision that withdraws it (its content is the last
    # published revision's); NULL on every other revision.
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    advisory: Mapped[Advisory] = relationship(back_populates="revisions")


class AdvisoryIncident(Base):
    """An incident an advisory was drafted from: for national staff, never on a public page."""

    __tablename__ = "advisory_incidents"

    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    linked_by: Mapped[str] = mapped_column(String(400))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
