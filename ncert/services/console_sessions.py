"""Server-side console sessions: the signed cookie carries a random token, and the
token is good only while its row says the session is live.

A session ends when its user signs out (a copy of the cookie saved earlier
stops working), after ``idle`` without a request, or ``absolute`` after sign-in,
whichever comes first (OWASP Session Management Cheat Sheet, "Session
Expiration"), and when the user is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ncert.config import Settings
from ncert.db import utcnow
from ncert.models import ConsoleSession, User

# last_seen_at is refreshed at most this often, so page views do not each cost a write.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Settings) -> "Lifetime":
        return cls(timedelta(seconds=settings.session_idle_s), timedelta(seconds=settings.session_absolute_s))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, lifetime: Lifetime) -> str:
    """Open a session for ``user``; returns the token for the cookie (only its hash is stored).
    Sessions that ended or expired are swept away here."""
    now = utcnow()
    session.execute(delete(ConsoleSession).where(or_(ConsoleSession.ended_at.is_not(None),
                                                     ConsoleSession.created_at < now - lifetime.absolute,
                                                     ConsoleSession.last_seen_at < now - lifetime.idle)))
    token = secrets.token_urlsafe(32)
    session.add(ConsoleSession(token_hash=_hash(token), user_id=user.id, created_at=now, last_seen_at=now))
    return token


def resume(session: Session, user_id: int, token: str | None, lifetime: Lifetime) -> User | None:
    """The active user of the live session ``token`` (which must be ``user_id``'s), else None."""
    if not token:
        return None
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token)))
    now = utcnow()
    if (row is None or row.user_id != user_id or row.ended_at is not None or not row.user.active
            or not row.user.org.active
            or now - row.created_at >= lifetime.absolute or now - row.last_seen_at >= lifetime.idle):
        return None
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
    return row.user


def end(session: Session, token: str | None) -> None:
    """End the session ``token`` names, if it is live."""
    if token:
        row = session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token)))
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
