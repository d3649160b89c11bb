"""Feeds ncert pulls on a schedule: a sector CERT's or partner's MISP feed or TAXII collection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ncert.db import Base, utcnow
from ncert.models.directory import Organization


class FeedSource(Base):
    """One registered feed, its credentials, its pull outcome and its incremental cursor.

    ncert presents the credentials to the feed, so it cannot keep only a hash of
    them: the API key and password are sealed at rest (``ncert.sealing``). The
    cursor is ``seen`` (MISP: event UUID → the manifest ``timestamp`` last taken
    in) or ``added_after`` (TAXII: the ``X-TAXII-Date-Added-Last`` of the last
    page taken in).
    """

    __tablename__ = "feed_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # "misp" | "taxii"
    url: Mapped[str] = mapped_column(String(500))
    collection_id: Mapped[str | None] = mapped_column(String(100))  # TAXII only
    api_key: Mapped[str | None] = mapped_column(Text)  # sealed
    username: Mapped[str | None] = mapped_column(String(200))
    password: Mapped[str | None] = mapped_column(Text)  # sealed
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    interval_minutes: Mapped[int] = mapped_column(default=60)
    enabled: Mapped[bool] = mapped_column(default=True)
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_counts: Mapped[dict] = mapped_column(default=dict)
    seen: Mapped[dict] = mapped_column(default=dict)
    added_after: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organization] = relationship(lazy="joined")
