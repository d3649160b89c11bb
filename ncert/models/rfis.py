"""Requests for information: the national centre asks one organisation a question
about an incident; its analysts answer with text and files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ncert.db import Base, utcnow
from ncert.models.directory import Organization


class Rfi(Base):
    """A question to one organisation. ``state`` is stored as open, answered or withdrawn;
    an open request past its due date reads as overdue (``ncert.services.rfis.state_of``)."""

    __tablename__ = "rfis"
    __table_args__ = (Index("ix_rfis_org_state", "org_id", "state"), Index("ix_rfis_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))  # the addressee
    title: Mapped[str] = mapped_column(String(300))
    question: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | answered | withdrawn
    created_by: Mapped[str] = mapped_column(String(400))  # "playbook <name> v<version>" or a user's label
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]  # the first answer
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(400))
    overdue_noted_at: Mapped[datetime | None]  # when the scheduler's clock check wrote it on the timeline

    org: Mapped[Organization] = relationship(lazy="joined")
    answers: Mapped[list[RfiAnswer]] = relationship(lazy="selectin", order_by="RfiAnswer.id",
                                                    cascade="all, delete-orphan")


class RfiAnswer(Base):
    """One answer of the addressed organisation."""

    __tablename__ = "rfi_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    rfi_id: Mapped[int] = mapped_column(ForeignKey("rfis.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(400))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[RfiAttachment]] = relationship(lazy="selectin", order_by="RfiAttachment.id",
                                                            cascade="all, delete-orphan")


class RfiAttachment(Base):
    """A file sent with an answer, kept in the database; served only as a download."""

    __tablename__ = "rfi_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("rfi_answers.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
