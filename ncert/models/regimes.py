"""Reporting regimes added by admins, and which regime each sector reports under.

The built-in regimes (NIS2 and its variants) are code in ``ncert.clocks``; these
rows add national rules as data. ``ncert.services.regimes`` merges both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ncert.db import Base, utcnow
from ncert.models.directory import Sector


class ReportingRegime(Base):
    """A stored regime. ``stages`` is a list of ``{"name", "amount", "unit", "anchor",
    "warn_minutes"}`` objects, validated by the service before it is written."""

    __tablename__ = "reporting_regimes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    repeat: Mapped[bool] = mapped_column(default=False)
    stages: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SectorRegime(Base):
    """The regime a sector's entities report under, overriding ``ncert.clocks.SECTOR_REGIMES``."""

    __tablename__ = "sector_regimes"

    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"), primary_key=True)
    regime: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    sector: Mapped[Sector] = relationship(lazy="joined")
