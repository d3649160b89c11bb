"""The playbook format: what a YAML playbook may say, checked field by field.

    name: ransomware-essential-entity
    version: 3
    description: Ransomware at an NIS2 essential entity
    enabled: true
    priority: 10              # lower runs first; ties break by name
    triggers: [incident.created, incident.updated]
    when: {all: [{fact: category_class, eq: malicious-code}, ...]}
    actions:
      - {type: raise_severity_to, level: 3}
      - {type: notify, channel: email, recipients: [duty@ncert.example], template: "..."}

``build_playbook`` turns the loaded mapping into a ``Playbook`` or raises
``RuleError`` located at the offending key. Applying actions is the engine's
job; here they are plain data.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ncert.clocks import REGIMES
from ncert.taxonomy import TLP, Role, validate_category
from playbooks.conditions import NATIONAL_FACTS, Predicate, RuleError, compile_condition, facts_read, type_name
from playbooks.facts import Facts
from playbooks.texts import Text, texts

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_PRIORITY = 100


class Trigger(enum.StrEnum):
    INCIDENT_CREATED = "incident.created"
    INCIDENT_UPDATED = "incident.updated"
    INDICATOR_CORRELATED = "indicator.correlated"
    ANOMALY_FLAGGED = "anomaly.flagged"
    DEADLINE_APPROACHING = "deadline.approaching"
    DEADLINE_OVERDUE = "deadline.overdue"
    RISK_DRIFT = "risk.drift"  # a risk's observed likelihood stayed above its assessed one (risk_evidence)


# --- actions ------------------------------------------------------------------


@dataclass(frozen=True)
class SetCategory:
    rsit_class: str
    rsit_type: str


@dataclass(frozen=True)
class SetSeverity:
    level: int


@dataclass(frozen=True)
class RaiseSeverityTo:
    """Raise the severity to at least ``level``; never lowers it."""

    level: int


@dataclass(frozen=True)
class SetTlp:
    tlp: TLP


@dataclass(frozen=True)
class Assign:
    """Assign to a team (slug) or to a user (e-mail); exactly one is set."""

    team: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class AddTasks:
    """Add tasks; with ``checklist`` set they form one named checklist."""

    titles: tuple[str, ...]
    checklist: str | None = None
    mandatory: bool = False  # while open, they block resolving the incident


@dataclass(frozen=True)
class RequestInformation:
    """A task addressed to the reporting sector CERT, visible in its view."""

    text: str
    title: str = Text({"az": "Milli CERT tərəfindən məlumat sorğusu",
                       "en": "Information requested by the national CERT",
                       "ru": "Запрос информации от национального CERT"})


@dataclass(frozen=True)
class Notify:
    """E-mail ``recipients`` (addresses, ``role:<role>`` or ``team:<slug>``) or POST to a webhook ``url``."""

    channel: str  # email | webhook
    template: str
    recipients: tuple[str, ...] = ()
    url: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class StartClock:
    regime: str


@dataclass(frozen=True)
class OpenNationalIncident:
    """Group this incident and its correlated ones under one national incident."""

    title: str | None = None


@dataclass(frozen=True)
class LinkRisk:
    risk: str  # reference in the risk register, e.g. R-2026-0001


Action = (
    SetCategory | SetSeverity | RaiseSeverityTo | SetTlp | Assign | AddTasks | RequestInformation
    | Notify | StartClock | OpenNationalIncident | LinkRisk
)


@dataclass(frozen=True)
class Playbook:
    name: str
    version: int
    description: str
    enabled: bool
    priority: int
    triggers: frozenset[Trigger]
    when: Any  # the condition as written, for display and storage
    actions: tuple[Action, ...]
    path: str | None = None
    predicate: Predicate = field(default=lambda facts: True, repr=False, compare=False)
    # Fires on other organisations' reports or national decisions (``national_because``):
    # its actions may change only national state, and its clocks are internal.
    national: bool = False

    def applies(self, trigger: Trigger | str, facts: Facts) -> bool:
        """Whether this playbook fires for ``trigger`` on ``facts`` (never raises)."""
        return self.enabled and trigger in self.triggers and self.predicate(facts)


# --- field checks ---------------------------------------------------------------


_REQUIRED = object()


class _Fields:
    """Reads the keys of one mapping, reporting faults at their location."""

    def __init__(self, data: Any, where: tuple[str | int, ...], what: str):
        if not isinstance(data, Mapping):
            raise RuleError(where, f"{what} must be a mapping, got {type_name(data)}")
        self.data, self.where, self.what, self.seen = data, where, what, set()

    def get(self, key: str, check: Callable[[Any], Any], default: Any = _REQUIRED) -> Any:
        self.seen.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                raise RuleError(self.where, f"{self.what} is missing '{key}'")
            return default
        try:
            return check(self.data[key])
        except RuleError as exc:
            raise exc.within(*self.where, key) from None
        except ValueError as exc:
            raise RuleError((*self.where, key), str(exc)) from None

    def done(self) -> None:
        unknown = sorted(str(k) for k in self.data if k not in self.seen)
        if unknown:
            raise RuleError((*self.where, unknown[0]),
                            f"unknown key '{unknown[0]}' in {self.what}; expected {', '.join(sorted(self.seen))}")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected non-empty text, got {type_name(value)}")
    if not value.strip():
        raise ValueError("expected non-empty text, got empty text")
    return value.strip()


def _int(low: int, high: int | None = None) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {type_name(value)}")
        if value < low or (high is not None and value > high):
            raise ValueError(f"{value} is out of range; expected {low}…{high}" if high is not None
                             else f"{value} is out of range; expected at least {low}")
        return value

    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {type_name(value)}")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"{value!r} is not a playbook name (lower-case letters, digits and '-', up to 80)")
    return value


def _list_of(check: Callable[[Any], Any]) -> Callable[[Any], tuple]:
    def check_list(value: Any) -> tuple:
        if not isinstance(value, list) or not value:
            raise ValueError(f"expected a non-empty list, got {type_name(value)}")
        out = []
        for i, item in enumerate(value):
            try:
                out.append(check(item))
            except RuleError as exc:
                raise exc.within(i) from None
            except ValueError as exc:
                raise RuleError((i,), str(exc)) from None
        return tuple(out)

    return check_list


def _trigger(value: Any) -> Trigger:
    try:
        return Trigger(value)
    except ValueError:
        raise ValueError(f"unknown trigger {value!r}; expected one of {', '.join(Trigger)}") from None


def _recipient(value: Any) -> str:
    text = _text(value)
    if text.startswith("role:"):
        role = text.removeprefix("role:")
        if role not in set(Role):
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(Role)}")
        return text
    if text.startswith("team:"):
        if not _NAME.match(text.removeprefix("team:")):
            raise ValueError(f"{text!r}: a team slug is lower-case letters, digits and '-', up to 80")
        return text
    if not _EMAIL.match(text):
        raise ValueError(f"{text!r} is neither an e-mail address, 'role:<role>' nor 'team:<slug>'")
    return text


def _url(value: Any) -> str:
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http(s) URL")
    return text


_KNOWN_REGIMES: ContextVar[frozenset[str]] = ContextVar("known_regimes", default=frozenset(REGIMES))


@contextmanager
def known_regimes(names: Iterable[str]):
    """Check ``start_clock`` against these regime names (the built-ins and those an
    admin stored, ``ncert.services.regimes``) instead of the built-ins alone."""
    token = _KNOWN_REGIMES.set(frozenset(names))
    try:
        yield
    finally:
        _KNOWN_REGIMES.reset(token)


def _regime(value: Any) -> str:
    text = _text(value)
    known = _KNOWN_REGIMES.get()
    if text not in known:
        raise ValueError(f"unknown clock regime {text!r}; expected one of {', '.join(sorted(known))}")
    return text


def _category(value: Any) -> tuple[str, str]:
    rsit_class, sep, rsit_type = _text(value).partition("/")
    if not sep:
        raise ValueError(f"category {value!r} must be 'class/type', e.g. 'malicious-code/infected-system'")
    validate_category(rsit_class, rsit_type)
    return rsit_class, rsit_type


def _tlp(value: Any) -> TLP:
    return TLP.parse(_text(value))


# --- actions ---------------------------------------------------------------------


def _set_category(f: _Fields) -> Action:
    return SetCategory(*f.get("category", _category))


def _assign(f: _Fields) -> Action:
    team = f.get("team", _name, default=None)
    user = f.get("user", _recipient_email, default=None)
    if (team is None) == (user is None):
        raise RuleError(f.where, "assign needs exactly one of 'team' or 'user'")
    return Assign(team=team, user=user)


def _recipient_email(value: Any) -> str:
    text = _text(value)
    if not _EMAIL.match(text):
        raise ValueError(f"{text!r} is not an e-mail address")
    return text


def _add_tasks(f: _Fields) -> Action:
    return AddTasks(f.get("tasks", _list_of(texts(_text))), f.get("checklist", _text, default=None),
                    f.get("mandatory", _bool, default=False))


# What a request's title and text may fill in: the reporter's view of its own report
# (playbooks.engine.render_for_addressee; severity is the one it was told).
ADDRESSEE_PLACEHOLDERS = ("reference", "title", "category", "sector", "reporter", "tlp", "severity", "playbook")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _request_information(f: _Fields) -> Action:
    title = f.get("title", texts(_addressee_template), default=RequestInformation.title)
    return RequestInformation(text=f.get("text", texts(_addressee_template)), title=title)


def _addressee_template(value: Any) -> str:
    """A request goes to another organisation: it may name only what that organisation sees."""
    text = _text(value)
    for name in _PLACEHOLDER.findall(text):
        if name not in ADDRESSEE_PLACEHOLDERS:
            raise ValueError(f"{{{name}}} is not something the organisation asked may see; a request may fill in "
                             + ", ".join(f"{{{p}}}" for p in ADDRESSEE_PLACEHOLDERS))
    return text


def _notify(f: _Fields) -> Action:
    channel = f.get("channel", _one_of_channel)
    template = f.get("template", texts(_text))
    subject = f.get("subject", texts(_text), default=None)
    if channel == "email":
        return Notify(channel, template, recipients=f.get("recipients", _list_of(_recipient)),
                      subject=subject)
    if subject is not None:
        raise RuleError((*f.where, "subject"), "'subject' applies only to the email channel")
    return Notify(channel, template, url=f.get("url", _url))


def _one_of_channel(value: Any) -> str:
    if value not in ("email", "webhook"):
        raise ValueError(f"unknown channel {value!r}; expected email or webhook")
    return value


def _link_risk(f: _Fields) -> Action:
    def risk_id(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return _text(value)

    return LinkRisk(f.get("risk", risk_id))


ACTIONS: dict[str, Callable[[_Fields], Action]] = {
    "set_category": _set_category,
    "set_severity": lambda f: SetSeverity(f.get("level", _int(0, 5))),
    "raise_severity_to": lambda f: RaiseSeverityTo(f.get("level", _int(0, 5))),
    "set_tlp": lambda f: SetTlp(f.get("tlp", _tlp)),
    "assign": _assign,
    "add_tasks": _add_tasks,
    "request_information": _request_information,
    "notify": _notify,
    "start_clock": lambda f: StartClock(f.get("regime", _regime)),
    "open_national_incident": lambda f: OpenNationalIncident(f.get("title", _text, default=None)),
    "link_risk": _link_risk,
}


def _action(data: Any, where: tuple[str | int, ...]) -> Action:
    f = _Fields(data, where, "an action")
    kind = f.get("type", lambda v: v)
    if not isinstance(kind, str) or kind not in ACTIONS:
        raise RuleError((*where, "type"), f"unknown action type {kind!r}; expected one of {', '.join(ACTIONS)}")
    f.what = f"action '{kind}'"
    action = ACTIONS[kind](f)
    f.done()
    return action


def _condition(value: Any) -> Predicate:
    return compile_condition(value)


def build_playbook(data: Any, path: str | None = None) -> Playbook:
    """Check a loaded playbook mapping; raise ``RuleError`` at the first fault."""
    f = _Fields(data, (), "a playbook")
    name = f.get("name", _name)
    version = f.get("version", _int(1))
    description = f.get("description", _text, default="")
    enabled = f.get("enabled", _bool, default=True)
    priority = f.get("priority", _int(0, 10_000), default=DEFAULT_PRIORITY)
    triggers = f.get("triggers", _list_of(_trigger))
    predicate = f.get("when", _condition, default=None)
    raw_actions = f.get("actions", lambda v: v)
    if not isinstance(raw_actions, list) or not raw_actions:
        raise RuleError(("actions",), f"'actions' needs a non-empty list, got {type_name(raw_actions)}")
    actions = tuple(_action(item, ("actions", i)) for i, item in enumerate(raw_actions))
    f.done()
    read = facts_read(data.get("when"))
    national = national_because(frozenset(triggers), read)
    _check_reporter_view(actions, national)
    _check_hint_trust(actions, read)
    return Playbook(
        name=name,
        version=version,
        description=description,
        enabled=enabled,
        priority=priority,
        triggers=frozenset(triggers),
        when=data.get("when"),
        actions=actions,
        path=path,
        predicate=predicate or (lambda facts: True),
        national=national is not None,
    )


# --- what a rule may change -------------------------------------------------------

# Every trigger but the report's own creation and update is raised by other
# organisations' reports or by national state (correlation, anomaly, clocks, risks).
NATIONAL_TRIGGERS = frozenset(Trigger) - {Trigger.INCIDENT_CREATED, Trigger.INCIDENT_UPDATED}
# Actions whose effect the reporter sees (its category, its label, who handles it, a request to it).
REPORTER_VISIBLE = (SetCategory, SetTlp, Assign, RequestInformation)
CRISIS_LEVEL = 4  # Severe and above: crisis mode (standards digest §5.1)


def national_because(triggers: frozenset[Trigger], read: frozenset[str]) -> str | None:
    """Why a playbook's firing depends on more than the report itself, or None if it does not."""
    for trigger in sorted(triggers & NATIONAL_TRIGGERS):
        return f"it fires on {trigger}"
    for fact in sorted(read & NATIONAL_FACTS):
        return f"it reads {fact}"
    return None


def _check_reporter_view(actions: tuple[Action, ...], national: str | None) -> None:
    """The reporter's view of its report is a function of its own data and of explicit
    national decisions: a rule fired by other organisations' reports may not change it."""
    if national is None:
        return
    for i, action in enumerate(actions):
        if isinstance(action, REPORTER_VISIBLE):
            raise RuleError(("actions", i), f"{_ACTION_NAMES[type(action)]} changes what the reporter sees, and "
                            f"this playbook depends on other organisations' reports ({national}); an operator "
                            "decides that")


def _check_hint_trust(actions: tuple[Action, ...], read: frozenset[str]) -> None:
    """A reporter's hint is not a national decision: a rule reading it may not reach crisis level."""
    if "severity_hint" not in read:
        return
    for i, action in enumerate(actions):
        if isinstance(action, (SetSeverity, RaiseSeverityTo)) and action.level >= CRISIS_LEVEL:
            raise RuleError(("actions", i, "level"), f"a playbook reading severity_hint cannot set severity "
                            f"{CRISIS_LEVEL} or above: crisis levels need a national decision, not the reporter's hint")


_ACTION_NAMES = {SetCategory: "set_category", SetTlp: "set_tlp", Assign: "assign",
                 RequestInformation: "request_information"}
