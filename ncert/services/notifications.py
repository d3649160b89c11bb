"""Notifications: e-mail through SMTP and webhook POSTs, each recorded with
how its delivery went (``Notification.status``: pending, sent, failed, not-sent).

They are written in the caller's transaction as a record plus an outbox row
(``ncert.outbox``) and sent after commit, with retries: nothing goes out for a
change that is rolled back, and no lock is held while a server answers. While
retries remain a notification stays pending with its last error.

Each recipient reads an e-mail in their language (issue 14): the profile locale
(``users.locale``) of the user with that address, else ``NCERT_DEFAULT_LOCALE``
(a team mailbox or an outside address has no profile). ``email_in_languages``
writes one e-mail per language among the recipients.

Delivery settings come from the environment (``delivery_settings``):
NCERT_SMTP_HOST (unset: e-mails are recorded, not sent), NCERT_SMTP_PORT (25),
NCERT_SMTP_FROM, NCERT_SMTP_TIMEOUT and NCERT_WEBHOOK_TIMEOUT (seconds), and
NCERT_WEBHOOK_ALLOWED_NETWORKS: CIDRs a webhook may reach although they are not
public, e.g. "10.20.0.0/16" for an internal ticketing system (``webhook_delivery``).
"""

from __future__ import annotations

import json
import os
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert import i18n, outbox
from ncert.actor import Actor
from ncert.db import transaction, utcnow
from ncert.models import Incident, Notification, RiskNotification, User
from ncert.services import teams, webhook_delivery
from ncert.taxonomy import Role

if TYPE_CHECKING:
    from ncert.runtime import Runtime

PENDING, SENT, FAILED, NOT_SENT = "pending", "sent", "failed", "not-sent"
EMAIL_TOPIC, WEBHOOK_TOPIC = "notification.email", "notification.webhook"
INCIDENT, RISK = "incident", "risk"
_MODELS = {INCIDENT: Notification, RISK: RiskNotification}


@dataclass(frozen=True)
class DeliverySettings:
    smtp_host: str | None
    smtp_port: int
    smtp_from: str
    smtp_timeout: float
    webhook_timeout: float
    webhook_allowed_networks: tuple[webhook_delivery.Network, ...] = ()


def delivery_settings(env: Mapping[str, str] | None = None) -> DeliverySettings:
    """Read the delivery settings from ``env`` (the process environment by default)."""
    env = os.environ if env is None else env
    return DeliverySettings(
        smtp_host=env.get("NCERT_SMTP_HOST") or None,
        smtp_port=int(env.get("NCERT_SMTP_PORT", "25")),
        smtp_from=env.get("NCERT_SMTP_FROM", "ncert@localhost"),
        smtp_timeout=float(env.get("NCERT_SMTP_TIMEOUT", "10")),
        webhook_timeout=float(env.get("NCERT_WEBHOOK_TIMEOUT", "5")),
        webhook_allowed_networks=webhook_delivery.parse_networks(env.get("NCERT_WEBHOOK_ALLOWED_NETWORKS", "")),
    )


def resolve_recipients(session: Session, actor: Actor, recipients: tuple[str, ...]) -> list[str]:
    """Addresses as given; ``role:<role>`` means the active users of that role in
    the acting (national) organisation, never anyone outside it; ``team:<slug>``
    the team's mailbox if it has one, else its active members (nobody for an unknown team)."""
    out: list[str] = []
    for item in recipients:
        if item.startswith("role:"):
            stmt = select(User.email).where(User.role == Role(item.removeprefix("role:")), User.active.is_(True),
                                            User.org_id == actor.org_id).order_by(User.email)
            out.extend(session.scalars(stmt))
        elif item.startswith("team:"):
            out.extend(teams.mailboxes(session, item.removeprefix("team:")))
        else:
            out.append(item)
    return list(dict.fromkeys(out))


def recipient_languages(session: Session, recipients: list[str]) -> dict[str, list[str]]:
    """The recipients by the language each reads, in the order given: their profile's locale, else the default."""
    default = i18n.default_locale()
    chosen = dict(session.execute(select(User.email, User.locale).where(User.email.in_(recipients),
                                                                        User.locale.is_not(None))).all())
    out: dict[str, list[str]] = {}
    for address in recipients:
        lang = chosen.get(address)
        out.setdefault(lang if lang in i18n.LOCALES else default, []).append(address)
    return out


def email_in_languages(session: Session, incident: Incident, recipients: list[str],
                       compose: Callable[[str], tuple[str, str]], *, created_by: str) -> list[Notification]:
    """One e-mail per language among ``recipients``, ``compose(lang)`` giving its subject and body; nobody to
    send to still records one (not sent), in the default language."""
    groups = recipient_languages(session, recipients) if recipients else {i18n.default_locale(): []}
    return [email(session, incident, group, *compose(lang), created_by=created_by) for lang, group in groups.items()]


def email(session: Session, incident: Incident, recipients: list[str], subject: str, body: str, *,
          created_by: str, settings: DeliverySettings | None = None) -> Notification:
    """Record an e-mail and queue it in the caller's transaction: it is sent after commit (``deliver_email``)."""
    note = _record(session, incident, "email", ", ".join(recipients), subject, body, created_by)
    queue_email(session, note, recipients, INCIDENT, settings)
    return note


def queue_email(session: Session, note: Notification | RiskNotification, recipients: list[str], kind: str,
                settings: DeliverySettings | None = None) -> None:
    """Queue ``note`` (an incident's or a risk's) for sending after commit, or record why it will not be:
    nobody to send to, or no SMTP server configured."""
    settings = settings or delivery_settings()
    reason = "no recipients" if not recipients else "NCERT_SMTP_HOST is not set" if settings.smtp_host is None else ""
    if reason:
        note.status, note.error = NOT_SENT, reason
        return
    note.status = PENDING
    session.flush()
    outbox.enqueue(session, EMAIL_TOPIC, {"kind": kind, "id": note.id}, key=f"{kind}-notification:{note.id}")


def webhook(session: Session, incident: Incident, url: str, payload: dict, *, created_by: str) -> Notification:
    """Record a webhook call and queue the POST of ``payload`` as JSON to ``url`` after commit
    (``deliver_webhook``)."""
    note = _record(session, incident, "webhook", url, "", json.dumps(payload, sort_keys=True), created_by)
    session.flush()
    outbox.enqueue(session, WEBHOOK_TOPIC, {"kind": INCIDENT, "id": note.id}, key=f"incident:{incident.id}")
    return note


def _record(session: Session, incident: Incident, channel: str, target: str, subject: str, body: str,
            created_by: str) -> Notification:
    note = Notification(incident_id=incident.id, channel=channel, target=target, subject=subject[:300], body=body,
                        created_by=created_by, status=PENDING, error="", created_at=utcnow())
    session.add(note)
    return note


def _outcome(runtime: Runtime, message: outbox.Message, status: str, error: str = "") -> None:
    """Write how an attempt went on the notification a user reads."""
    model = _MODELS[message.payload["kind"]]
    with transaction(runtime.sessions) as session:
        note = session.get(model, message.payload["id"])
        if note is not None:
            note.status, note.error = status, error
            note.sent_at = utcnow() if status == SENT else None


def _attempt(runtime: Runtime, message: outbox.Message, send: Callable[[Notification | RiskNotification], None]
             ) -> None:
    """Send the notification ``message`` names and record the outcome on it: sent; pending with the error while
    retries remain; failed on the last attempt or a refusal. Failures are raised again for the outbox to retry."""
    with runtime.sessions() as session:
        note = session.get(_MODELS[message.payload["kind"]], message.payload["id"])
        if note is None:  # deleted with its incident or risk: nothing left to tell anyone
            return
        session.expunge(note)
    try:
        send(note)
    except Exception as exc:
        permanent = isinstance(exc, outbox.Permanent)
        cause = exc.__cause__ if permanent and exc.__cause__ is not None else exc
        _outcome(runtime, message, FAILED if permanent or message.last_attempt else PENDING,
                 f"{type(cause).__name__}: {cause}")
        raise
    _outcome(runtime, message, SENT)


@outbox.handler(EMAIL_TOPIC)
def deliver_email(runtime: Runtime, message: outbox.Message) -> None:
    """Send a queued e-mail. Its Message-ID is the outbox row's idempotency key, the same on every retry,
    so a receiving system can tell a retried message from a new one (RFC 5322 §3.6.4: one message, one
    Message-ID)."""
    settings = delivery_settings()

    def send(note: Notification | RiskNotification) -> None:
        if settings.smtp_host is None:
            raise outbox.Permanent("NCERT_SMTP_HOST is not set")
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, note.target, note.subject
        msg["Message-ID"] = f"<{message.idempotency_key}@{settings.smtp_from.rpartition('@')[2] or 'ncert'}>"
        msg.set_content(note.body)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused: retrying cannot help
            raise outbox.Permanent(str(exc)) from exc

    _attempt(runtime, message, send)


@outbox.handler(WEBHOOK_TOPIC)
def deliver_webhook(runtime: Runtime, message: outbox.Message) -> None:
    """POST a queued webhook with an ``Idempotency-Key`` header, the outbox row's key, the same on every retry
    (draft-ietf-httpapi-idempotency-key-header, "The Idempotency-Key HTTP Header Field": a unique key per
    request, repeated on its retries, lets the receiver process it once). A refused target or a redirect
    fails at once."""
    settings = delivery_settings()

    def send(note: Notification | RiskNotification) -> None:
        try:
            webhook_delivery.post_json(note.target, note.body, timeout=settings.webhook_timeout,
                                       allowed=settings.webhook_allowed_networks, user_agent="ncert-playbooks",
                                       headers={"Idempotency-Key": message.idempotency_key})
        except webhook_delivery.Refused as exc:
            raise outbox.Permanent(str(exc)) from exc

    _attempt(runtime, message, send)


def of_incident(session: Session, incident: Incident) -> list[Notification]:
    stmt = select(Notification).where(Notification.incident_id == incident.id).order_by(Notification.id)
    return list(session.scalars(stmt))
