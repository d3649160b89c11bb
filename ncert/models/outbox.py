"""The transactional outbox (``ncert.outbox``) and the scheduler's job store (``ncert.scheduler``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, Index, LargeBinary, String, Table, Text, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from ncert.db import Base, utcnow

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class OutboxMessage(Base):
    """A side effect written in the transaction that caused it, delivered after commit.

    ``idempotency_key`` is made once, so every retry of the row presents the same key to its receiver;
    a row is due while ``pending`` and ``next_attempt_at`` has passed (a delivery in progress moves it
    forward by a lease, so a crashed worker's row becomes due again)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),
                      Index("ix_outbox_messages_topic_key", "topic", "key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict]
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


# APScheduler 3's SQLAlchemyJobStore table, declared as that store defines it (apscheduler/jobstores/
# sqlalchemy.py: id Unicode(191), next_run_time Float(25) indexed, job_state LargeBinary), so the
# migrations own it and the store finds it made (its create_all checks first).
scheduler_jobs = Table(
    "apscheduler_jobs", Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
