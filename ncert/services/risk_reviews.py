"""Reviews of the register: which risks are due or overdue, and the e-mails to
their owners, each sent once per occasion through the notifications service's
e-mail path, queued in the transaction and sent after commit (the scheduler
calls ``notify_reviews`` daily).

A risk is due from ``NOTICE_DAYS`` before its review date and overdue after
it; an accepted risk is also due for review when its acceptance expires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.db import utcnow
from ncert.i18n import N_, default_locale, format_day_in, translate
from ncert.models import Risk, RiskNotification
from ncert.services import notifications, risks, teams

NOTICE_DAYS = 14
DUE, OVERDUE = "due", "overdue"


def review_on(risk: Risk) -> date | None:
    """When the risk must next be reviewed: its review date, or an earlier acceptance expiry."""
    dates = [risk.next_review_on] if risk.next_review_on else []
    acceptance = (risk.treatment or {}).get("acceptance")
    if risk.status == "accepted" and acceptance:
        dates.append(date.fromisoformat(acceptance["expires_on"]))
    return min(dates, default=None)


def review_state(risk: Risk, today: date) -> str | None:
    """``"overdue"``, ``"due"`` or None (not due yet, no date, or closed)."""
    when = review_on(risk)
    if risk.status == "closed" or when is None:
        return None
    if when < today:
        return OVERDUE
    return DUE if when <= today + timedelta(days=NOTICE_DAYS) else None


@dataclass(frozen=True)
class ReviewFlag:
    risk: Risk
    state: str
    review_on: date


def flagged(session: Session, actor: Actor, today: date) -> list[ReviewFlag]:
    """The risks the actor may read whose review is due or overdue, most urgent first."""
    out = [ReviewFlag(r, state, review_on(r)) for r in risks.list_risks(session, actor)
           if (state := review_state(r, today)) is not None]
    return sorted(out, key=lambda f: (f.review_on, f.risk.reference))


def notify_reviews(session: Session, actor: Actor, now: datetime | None = None) -> list[RiskNotification]:
    """E-mail the owner of each due or overdue risk, once per state and review date."""
    now = now or utcnow()
    sent = []
    for flag in flagged(session, actor, now.date()):
        risk = flag.risk
        subject, body = REVIEW_EMAILS[flag.state]

        def compose(lang: str, risk=risk, flag=flag, subject=subject, body=body) -> tuple[str, str]:
            values = {"reference": risk.reference, "title": risk.title}
            return (translate(lang, subject, **values),
                    translate(lang, body, day=format_day_in(flag.review_on, lang), **values))

        note = notify_owner(session, risk, f"review-{flag.state}", flag.review_on.isoformat(), compose, now)
        if note is not None:
            sent.append(note)
    return sent


REVIEW_EMAILS = {
    DUE: (N_("[%(reference)s] risk review due: %(title)s"),
          N_("The review of risk %(reference)s (%(title)s) is due: it falls on %(day)s.")),
    OVERDUE: (N_("[%(reference)s] risk review overdue: %(title)s"),
              N_("The review of risk %(reference)s (%(title)s) is overdue: it falls on %(day)s.")),
}


def notify_owner(session: Session, risk: Risk, kind: str, occasion: str,
                 compose: Callable[[str], tuple[str, str]], now: datetime) -> RiskNotification | None:
    """E-mail the risk's owner (its person's address and its team's mailbox) unless
    this (kind, occasion) was notified already; returns the new record, or None. One e-mail per
    occasion: ``compose(lang)`` writes its subject and body in the language of the owner's address
    (their profile's, else ``NCERT_DEFAULT_LOCALE``)."""
    done = select(RiskNotification.id).where(RiskNotification.risk_id == risk.id, RiskNotification.kind == kind,
                                             RiskNotification.occasion == occasion)
    if session.scalar(done) is not None:
        return None
    recipients = [risk.owner_email] if risk.owner_email else []
    if risk.owner_team is not None:
        recipients += teams.mailboxes(session, risk.owner_team.slug)
    recipients = list(dict.fromkeys(recipients))
    lang = next(iter(notifications.recipient_languages(session, recipients)), None) or default_locale()
    subject, body = compose(lang)
    note = RiskNotification(risk_id=risk.id, kind=kind, occasion=occasion, target=", ".join(recipients),
                            subject=subject[:300], body=body, status=notifications.PENDING, error="",
                            created_at=now)
    session.add(note)
    notifications.queue_email(session, note, recipients, notifications.RISK)  # sent after commit
    session.flush()
    return note


def of_risk(session: Session, risk: Risk) -> list[RiskNotification]:
    return list(session.scalars(select(RiskNotification).where(RiskNotification.risk_id == risk.id)
                                .order_by(RiskNotification.id)))
