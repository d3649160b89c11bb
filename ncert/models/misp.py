"""MISP events as the MISP-compatible API stores them.

A MISP event is an ncert incident seen through MISP's data model
(https://www.misp-project.org/datamodels/): the incident carries triage, TLP
and indicators; these rows keep what MISP clients send and read back
(attributes, objects as attribute groups, tags, MISP ids and timestamps).
Who may see an event is the incident's business: reads join ``incidents``
and go through ``ncert.access.scope``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ncert.db import Base

VALUE_KEY = 200


class MispEvent(Base):
    __tablename__ = "misp_events"
    # An event UUID names an event within the organisation that sent it: a UUID another
    # organisation used is no conflict, so pushing one never confirms that it exists.
    __table_args__ = (Index("ix_misp_events_timestamp", "timestamp"), UniqueConstraint("org_id", "uuid"))

    id: Mapped[int] = mapped_column(primary_key=True)  # the MISP event id
    uuid: Mapped[str] = mapped_column(String(36), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)  # the submitting org
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    info: Mapped[str] = mapped_column(Text)
    date: Mapped[date]
    threat_level_id: Mapped[int] = mapped_column(default=4)
    analysis: Mapped[int] = mapped_column(default=0)
    distribution: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=False)
    publish_timestamp: Mapped[int] = mapped_column(BigInteger, default=0)
    timestamp: Mapped[int] = mapped_column(BigInteger)  # epoch seconds of the last change
    deleted: Mapped[bool] = mapped_column(default=False)
    tags: Mapped[list] = mapped_column(default=list)  # tag names as sent; see misp_events.event_tags


class MispAttribute(Base):
    __tablename__ = "misp_attributes"
    __table_args__ = (
        Index("ix_misp_attributes_event", "event_id", "id"),
        Index("ix_misp_attributes_value_key", "value_key"),
        Index("ix_misp_attributes_type", "type"),
        Index("ix_misp_attributes_timestamp", "timestamp"),
        UniqueConstraint("event_id", "uuid"),  # and per organisation, checked on intake (misp_events)
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("misp_events.id", ondelete="CASCADE"))
    object_uuid: Mapped[str | None] = mapped_column(String(36))
    object_name: Mapped[str | None] = mapped_column(String(128))
    object_relation: Mapped[str | None] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    # The first VALUE_KEY characters of value, indexed for exact search (a btree
    # cannot index arbitrarily long text on PostgreSQL).
    value_key: Mapped[str] = mapped_column(String(200))
    to_ids: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    timestamp: Mapped[int] = mapped_column(BigInteger)
    deleted: Mapped[bool] = mapped_column(default=False)
    tags: Mapped[list] = mapped_column(default=list)
    # MISP distribution as sent (5: the event's), the object's when it is stricter; see ncert.access.
    distribution: Mapped[int] = mapped_column(default=5, server_default="5")
    # A malware-sample or attachment as sent: opaque bytes, never unpacked (NCERT_ATTACHMENT_MAX_BYTES).
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id"))


class MispTag(Base):
    """A tag name an organisation uses (``tags/index``, ``tags/add``), with its colour: each
    organisation has its own, so no answer tells whether another one uses a name."""

    __tablename__ = "misp_tags"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    colour: Mapped[str] = mapped_column(String(7), default="#ffffff")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
