"""Indicators, their links to incidents, and sightings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ncert.db import Base, EnumText, utcnow
from ncert.models.directory import Organization
from ncert.taxonomy import TLP

# A constant the columns added by migration 0008h start from before their backfill
# (SQLite adds a NOT NULL column only with a constant default).
EPOCH = "1970-01-01 00:00:00"


class Indicator(Base):
    """An observable value, normalised, unique per (type, value).

    Its first/last seen, confidence and TLP aggregate every report of the value:
    the national picture, for national staff only (see ``indicators.facts_of``)."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("type", "value"), Index("ix_indicators_ip_from", "ip_from"),
                      Index("ix_indicators_last_seen", "last_seen", "id"))  # national search, by last seen

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(2048))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    confidence: Mapped[int] = mapped_column(default=50)  # 0..100, as STIX confidence
    # The least restrictive TLP any reporter shared this value under.
    tlp: Mapped[TLP] = mapped_column(EnumText(TLP, 20))
    # An IP value's first and last address as sortable bytes (``observables.ip_bounds``), so a
    # CIDR search is one range scan on ix_indicators_ip_from; NULL for every other type.
    ip_from: Mapped[bytes | None] = mapped_column(LargeBinary(17))
    ip_to: Mapped[bytes | None] = mapped_column(LargeBinary(17))
    # The MISP warninglists the value is on, space-separated ("" when none): ``ncert.warninglists``.
    warninglists: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    # A national decision that the value is benign (``ncert.services.false_positives``).
    false_positive_reason: Mapped[str | None] = mapped_column(Text)
    false_positive_by: Mapped[str | None] = mapped_column(String(320))
    false_positive_at: Mapped[datetime | None] = mapped_column()

    @property
    def warninglist_names(self) -> list[str]:
        return self.warninglists.split()

    @property
    def is_false_positive(self) -> bool:
        return self.false_positive_at is not None


class IncidentIndicator(Base):
    __tablename__ = "incident_indicators"
    __table_args__ = (Index("ix_incident_indicators_indicator", "indicator_id", "incident_id"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), default="observed")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What this report said of the value. An organisation sees these facts, not
    # the national aggregate on Indicator, which other organisations' reports shape.
    confidence: Mapped[int] = mapped_column(default=50, server_default="50")
    first_seen: Mapped[datetime] = mapped_column(default=utcnow, server_default=EPOCH)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, server_default=EPOCH)

    indicator: Mapped[Indicator] = relationship(lazy="joined")


class Sighting(Base):
    """An organisation saw an indicator: when, and how many times."""

    __tablename__ = "sightings"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(default=1)

    org: Mapped[Organization] = relationship(lazy="joined")
