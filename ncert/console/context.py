"""Who is signed in, the actor they act as, and what every page template needs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import g, session
from flask_babel import gettext
from flask_login import UserMixin, current_user

from ncert import i18n
from ncert import timeline_text as timeline_texts
from ncert.actor import Actor
from ncert.console.blueprint import bp
from ncert.i18n import N_
from ncert.models import User
from ncert.services import console_sessions, directory
from ncert.taxonomy import SEVERITY_LEVELS, TLP, Role
from ncert.web.session import db, runtime

INTERFACE = "console"
SESSION_TOKEN = "ncert_session"  # the cookie's key for the server-side session token


class ConsoleUser(UserMixin):
    """Flask-Login's view of a ``User`` row, loaded afresh on every request."""

    def __init__(self, model: User):
        self.model = model

    def get_id(self) -> str:
        return str(self.model.id)

    @property
    def is_active(self) -> bool:
        return self.model.active


def load_user(user_id: str) -> ConsoleUser | None:
    """Flask-Login user loader: only a live server-side session counts (not signed
    out, not idle or too old), and a deactivated or deleted user is signed out."""
    if not user_id.isdigit():
        return None
    model = console_sessions.resume(db(), int(user_id), session.get(SESSION_TOKEN),
                                    console_sessions.Lifetime.of(runtime().settings))
    return ConsoleUser(model) if model is not None else None


def current_actor() -> Actor:
    """The signed-in user as the actor every service call receives."""
    if "console_actor" not in g:
        g.console_actor = directory.actor_for_user(current_user.model, INTERFACE)
    return g.console_actor


def current_admin() -> Actor:
    """The signed-in admin as the actor; Forbidden (403) for any other role."""
    actor = current_actor()
    directory.require_admin(actor)
    return actor


def return_to(url: str) -> str:
    """Where a failed POST action sends the user back to, with the error flashed."""
    g.console_return_to = url
    return url


def can_submit(actor: Actor) -> bool:
    """Leadership reviews; every other role may report incidents (enforced by the service)."""
    return actor.role is not Role.LEADERSHIP


@bp.app_template_filter("dt")
def format_datetime(value: datetime | None) -> str:
    return i18n.format_utc(value)


@bp.app_template_filter("duration")
def format_duration(value: timedelta | None) -> str:
    return i18n.format_duration(value)


@bp.app_template_filter("severity_label")
def severity_label(level: int) -> str:
    return i18n.term("severity", level) if level in SEVERITY_LEVELS else "?"


@bp.app_template_filter("timeline_text")
def timeline_text(entry) -> str:
    """A timeline entry's text in the page's language: what the system wrote, translated; a comment as written."""
    return timeline_texts.text_of(entry, i18n.current_locale())


_SYSTEM = re.compile(r"system \((\w+)\)")
# The system's own doors (``directory.system_actor``), named in the page's language.
_SYSTEM_INTERFACES = (N_("cli"), N_("scheduler"), N_("playbooks"), N_("detection"))
_PLAYBOOK = re.compile(r"playbook (\S+) v(\d+)")


@bp.app_template_filter("who")
def who(label: str | None) -> str:
    """Who wrote or did something, as stored (a person's, a key's or an organisation's label, as is), except the
    labels the system gives itself, ``system (playbooks)`` and ``playbook <name> v<n>``, read in the page's language."""
    label = label or ""
    if found := _SYSTEM.fullmatch(label):
        return gettext("system (%(interface)s)", interface=i18n.marked(found[1]))
    if found := _PLAYBOOK.fullmatch(label):
        return gettext("playbook %(name)s v%(version)s", name=found[1], version=found[2])
    return label


@bp.app_template_filter("tlp_class")
def tlp_class(value: TLP | str) -> str:
    """CSS class of a TLP badge: tlp-red, tlp-amber-strict, …"""
    return "tlp-" + str(value).removeprefix("TLP:").lower().replace("+", "-")


@bp.before_request
def _remember_language() -> None:
    """``?lang=az|en|ru`` on a console page sets the language for the session and, signed in, on the
    user's profile (committed with the request). Public and machine doors only honour it per request."""
    chosen = i18n.asked_locale()
    if chosen is None:
        return
    session[i18n.SESSION_KEY] = chosen
    if current_user.is_authenticated:
        directory.set_user_locale(db(), current_user.model, chosen)


@bp.context_processor
def _page_globals() -> dict:
    actor = current_actor() if current_user.is_authenticated else None
    return {
        "actor": actor,
        "role_label": i18n.term("role", actor.role) if actor else None,
        "can_submit": bool(actor and can_submit(actor)),
    }


@bp.after_request
def _security_headers(response):
    """No scripts, no framing, nothing cached: console pages carry TLP-marked data."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response
