"""STIX 2.1 objects as received, TAXII collections and TAXII status resources.

Every object version is stored verbatim (its JSON text), keyed by
(collection, pushing organisation, STIX id, version), so TAXII serves back
exactly what was sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ncert.db import Base, EnumText, utcnow
from ncert.taxonomy import TLP


class TaxiiCollection(Base):
    """A TAXII 2.1 collection: a sector inbox, or a national collection for one audience."""

    __tablename__ = "taxii_collections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUIDv4, as TAXII requires
    alias: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))  # "inbox" | "national"
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id"))
    audience: Mapped[str | None] = mapped_column(String(32))  # national: "sector-certs" | "international-partners"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StixObject(Base):
    """One version of a STIX object as one organisation pushed it.

    Versions, existence and references are per pushing organisation: two
    organisations of a sector pushing the same id and version into their inbox
    each have their own copy, and each copy's ``is_latest`` is among that
    organisation's versions only.
    """

    __tablename__ = "stix_objects"
    __table_args__ = (
        UniqueConstraint("collection_id", "org_id", "stix_id", "version"),
        # Paging is keyset over (date_added, id) inside a collection; the
        # latest-version flag leads because match[version]=last is the default.
        Index("ix_stix_objects_page", "collection_id", "is_latest", "date_added", "id"),
        Index("ix_stix_objects_added", "collection_id", "date_added", "id"),
        Index("ix_stix_objects_type", "collection_id", "type", "is_latest", "date_added", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    collection_id: Mapped[str] = mapped_column(ForeignKey("taxii_collections.id", ondelete="CASCADE"))
    stix_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    spec_version: Mapped[str] = mapped_column(String(8))
    # `modified`, else `created`, else "" for unversioned objects (SCOs).
    version: Mapped[str] = mapped_column(String(32))
    date_added: Mapped[datetime]
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    tlp: Mapped[TLP | None] = mapped_column(EnumText(TLP, 20))
    revoked: Mapped[bool] = mapped_column(default=False)
    is_latest: Mapped[bool] = mapped_column(default=True)
    body: Mapped[str] = mapped_column(Text)
    # Its name and pattern, for search (``ncert.search.stix``; a text index the migrations make).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


class TaxiiStatus(Base):
    """The TAXII status resource of one POST to a collection's objects."""

    __tablename__ = "taxii_statuses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    collection_id: Mapped[str] = mapped_column(ForeignKey("taxii_collections.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    request_timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="complete")
    total_count: Mapped[int] = mapped_column(default=0)
    success_count: Mapped[int] = mapped_column(default=0)
    failure_count: Mapped[int] = mapped_column(default=0)
    pending_count: Mapped[int] = mapped_column(default=0)
    successes: Mapped[list] = mapped_column(default=list)
    failures: Mapped[list] = mapped_column(default=list)
    pendings: Mapped[list] = mapped_column(default=list)
