"""Signing in to the console with a password, and signing out: throttled per
account and per client address, and audited.

Failed sign-ins are rows in the database (``SignInFailure``), so every server
process counts the same failures. An account or an address with ``limit``
failures within the window is locked until enough of them age out; while
locked, even the right password is refused. The lock, the answer and the work
done are the same whether or not the e-mail belongs to a user, so none of them
tells a caller who has an account. The audit log (read by admins and
leadership only) records every attempt, never the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.config import Settings
from ncert.db import utcnow
from ncert.errors import TooManyRequests, Unauthenticated
from ncert.i18n import N_
from ncert.models import SignInFailure, User
from ncert.services import audit, console_sessions, directory
from ncert.taxonomy import Role

OBJECT_ID_MAX = 64  # audit_events.object_id


@dataclass(frozen=True)
class Throttle:
    """Failed sign-ins allowed per account and per address within ``window``."""

    account_limit: int
    address_limit: int
    window: timedelta

    @classmethod
    def of(cls, settings: Settings) -> "Throttle":
        return cls(settings.signin_account_limit, settings.signin_address_limit,
                   timedelta(seconds=settings.signin_window_s))


def sign_in(session: Session, email: str, password: str, *, address: str, throttle: Throttle,
            interface: str) -> User:
    """The user ``email`` names if ``password`` is theirs; records the attempt either way.

    Raises TooManyRequests (429) while the account or the address is locked,
    Unauthenticated (401) for a wrong e-mail or password. Both write the attempt,
    so the caller commits before answering.
    """
    account, now = email.strip().lower(), utcnow()
    wait = _locked_for(session, account, address, throttle, now)
    if wait:
        _audit_failure(session, account, address, interface, "locked")
        minutes = -(-wait // 60)
        raise TooManyRequests(N_("too many failed sign-ins: try again in %(minutes)s minute(s)"),
                              minutes=minutes, retry_after=wait)
    try:
        user = directory.authenticate_password(session, account, password)
    except Unauthenticated:
        session.add(SignInFailure(at=now, account=account[:320], address=address))
        session.execute(delete(SignInFailure).where(SignInFailure.at < now - throttle.window))
        _audit_failure(session, account, address, interface, "wrong e-mail or password")
        raise
    session.execute(delete(SignInFailure).where(SignInFailure.account == account))
    audit.record(session, directory.actor_for_user(user, interface), "auth.sign_in", "user", _object_id(account),
                 address=address)
    return user


def sign_out(session: Session, actor: Actor, token: str | None, *, address: str) -> None:
    """End the console session ``token`` names (its cookie stops working) and audit it."""
    console_sessions.end(session, token)
    audit.record(session, actor, "auth.sign_out", "user", _object_id(actor.label), address=address)


def _locked_for(session: Session, account: str, address: str, throttle: Throttle, now: datetime) -> int:
    """Seconds until the account and the address both have fewer than their limit of recent failures."""
    wait = 0
    for column, value, limit in ((SignInFailure.account, account, throttle.account_limit),
                                 (SignInFailure.address, address, throttle.address_limit)):
        recent = list(session.scalars(select(SignInFailure.at).where(column == value,
                                                                      SignInFailure.at >= now - throttle.window)
                                      .order_by(SignInFailure.at.desc()).limit(limit)))
        if len(recent) >= limit:  # locked until the limit-th latest failure leaves the window
            wait = max(wait, int((recent[-1] + throttle.window - now).total_seconds()) + 1)
    return wait


def _audit_failure(session: Session, account: str, address: str, interface: str, reason: str) -> None:
    """Attribute a failure to the user the e-mail names, else to an anonymous caller at the door."""
    user = session.scalar(select(User).where(User.email == account))
    actor = directory.actor_for_user(user, interface) if user is not None else \
        anonymous(session, interface, address)
    audit.record(session, actor, "auth.sign_in_failed", "user", _object_id(account), email=account,
                 address=address, reason=reason)


def anonymous(session: Session, interface: str, address: str) -> Actor:
    """A caller nobody has identified, seen at the national centre's door; it may do nothing
    (the lowest role) and exists only to be named in the audit log."""
    org = directory.org_by_slug(session, directory.national_org_slug(session))
    return Actor(role=Role.SECTOR_ANALYST, org_id=org.id, org_kind=org.kind, sector_id=None, interface=interface,
                 label=f"anonymous ({address})")


def _object_id(text: str) -> str:
    return text[:OBJECT_ID_MAX]
