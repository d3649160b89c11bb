"""Notifications: e-mail through SMTP and webhook POSTs, each recorded with
how its delivery went.

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.db import utcnow
from ncert.models import Incident, Notification, User
from ncert.services import teams, webhook_delivery
from ncert.taxonomy import Role

SENT, FAILED, NOT_SENT = "sent", "failed", "not-sent"


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


def email(session: Session, incident: Incident, recipients: list[str], subject: str, body: str, *,
          created_by: str, settings: DeliverySettings | None = None) -> Notification:
    """Record an e-mail and send it through the configured SMTP server."""
    note = _record(session, incident, "email", ", ".join(recipients), subject, body, created_by)
    note.status, note.error, note.sent_at = send_email(recipients, subject, body, settings)
    return note


def send_email(recipients: list[str], subject: str, body: str,
               settings: DeliverySettings | None = None) -> tuple[str, str, datetime | None]:
    """Send one e-mail through the configured SMTP server: (status, error, sent_at),
    for callers that record it themselves (incidents above, risk owners in ``risk_reviews``)."""
    settings = settings or delivery_settings()
    if not recipients:
        return NOT_SENT, "no recipients", None
    if settings.smtp_host is None:
        return NOT_SENT, "NCERT_SMTP_HOST is not set", None
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, ", ".join(recipients), subject
    msg.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        return FAILED, f"{type(exc).__name__}: {exc}", None
    return SENT, "", utcnow()


def webhook(session: Session, incident: Incident, url: str, payload: dict, *, created_by: str,
            settings: DeliverySettings | None = None) -> Notification:
    """Record a webhook call and POST ``payload`` as JSON to ``url``, if it is a public
    address or an allowed one (``webhook_delivery``); a redirect is not followed."""
    settings = settings or delivery_settings()
    body = json.dumps(payload, sort_keys=True)
    note = _record(session, incident, "webhook", url, "", body, created_by)
    try:
        webhook_delivery.post_json(url, body, timeout=settings.webhook_timeout,
                                   allowed=settings.webhook_allowed_networks, user_agent="ncert-playbooks")
        note.status, note.sent_at = SENT, utcnow()
    except webhook_delivery.FAILURES as exc:
        note.status, note.error = FAILED, f"{type(exc).__name__}: {exc}"
    return note


def _record(session: Session, incident: Incident, channel: str, target: str, subject: str, body: str,
            created_by: str) -> Notification:
    note = Notification(incident_id=incident.id, channel=channel, target=target, subject=subject[:300], body=body,
                        created_by=created_by, status="pending", error="", created_at=utcnow())
    session.add(note)
    return note


def of_incident(session: Session, incident: Incident) -> list[Notification]:
    stmt = select(Notification).where(Notification.incident_id == incident.id).order_by(Notification.id)
    return list(session.scalars(stmt))
