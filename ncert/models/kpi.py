"""The KPI card's stored parts: targets, responsible persons and quarterly reviews.

The figures themselves are computed from incidents (``ncert.services.kpi``);
what is stored here is what people decide about them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ncert.db import Base, utcnow


class KpiTarget(Base):
    """A KPI's target and amber threshold: the national default (no organisation) or
    one organisation's override. Whether higher or lower is better is the KPI's own."""

    __tablename__ = "kpi_targets"
    __table_args__ = (Index("ix_kpi_targets_kpi_org", "kpi", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    target: Mapped[float] = mapped_column(Float)
    amber: Mapped[float] = mapped_column(Float)  # worse than target but within the margin: amber
    updated_by: Mapped[str] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResponsiblePerson(Base):
    """The deputy-head-level person an organisation names for its KPI card."""

    __tablename__ = "kpi_responsible_persons"

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    updated_by: Mapped[str] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class KpiReview(Base):
    """Leadership's review of one card (an organisation's or a sector's) for one quarter.

    Comments may change until sign-off; a signed-off review keeps the figures it
    was signed on and is never changed again.
    """

    __tablename__ = "kpi_reviews"
    __table_args__ = (
        # One review per card and quarter (NULLs are distinct: each row has one of the two).
        UniqueConstraint("org_id", "period"),
        UniqueConstraint("sector_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(8))  # a quarter label, "2026Q3"
    comments: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_off_by: Mapped[str | None] = mapped_column(String(400))
    signed_off_at: Mapped[datetime | None]
    figures: Mapped[dict | None]  # the card as signed off
