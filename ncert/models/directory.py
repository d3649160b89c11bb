"""Who takes part: sectors, organisations, users and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ncert.db import Base, EnumText, utcnow
from ncert.taxonomy import OrgKind, Role


class Sector(Base):
    """A sector of the national economy (NIS2 Annex I/II style, plus government)."""

    __tablename__ = "sectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    nis2_annex: Mapped[str | None] = mapped_column(String(8))
    criticality: Mapped[int] = mapped_column(default=3)  # 1 (low) .. 5 (vital)
    description: Mapped[str] = mapped_column(Text, default="")


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[OrgKind] = mapped_column(EnumText(OrgKind))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id"), index=True)
    country: Mapped[str] = mapped_column(String(2), default="")
    # NIS2 Art. 3: "essential" or "important" entity, or neither.
    nis2_entity: Mapped[str | None] = mapped_column(String(16))
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A deactivated organisation's users cannot sign in and its API keys are refused (0012c).
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    sector: Mapped[Sector | None] = relationship(lazy="joined")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(EnumText(Role))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The console's language for this user (az, en, ru; ncert.i18n), None until they choose one.
    locale: Mapped[str | None] = mapped_column(String(8))

    org: Mapped[Organization] = relationship(lazy="joined")


class ApiKey(Base):
    """An API key. Only a SHA-256 of the secret is stored; the prefix is shown."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(EnumText(Role))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    org: Mapped[Organization] = relationship(lazy="joined")
