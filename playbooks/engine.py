"""The playbook engine: applies the library to incidents through the services.

Ordered: playbooks run by (priority, name), actions in the order written.
National: a playbook fired by other organisations' reports or national state
(``Playbook.national``) changes only what national staff see: the national
severity, internal tasks and clocks, national incidents, national e-mails.
Deterministic: the facts are a snapshot built once per incident and updated
in memory as the engine itself changes severity, category or TLP, after which
the library is evaluated again until nothing new fires. Idempotent: each
applied action is a ``PlaybookFiring`` row (unique per playbook, incident,
action and subject), so re-running never doubles an action. Every firing is
one internal timeline entry and one audit event naming the playbook and its
version.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert import clocks as regimes
from ncert.access import scope
from ncert.actor import Actor
from ncert.config import PLAYBOOK_LIBRARY
from ncert.db import utcnow
from ncert.errors import NotFound
from ncert.i18n import N_, default_locale
from ncert.models import Incident, RegulatoryDeadline, User
from ncert.records import Category, IncidentPatch
from ncert.runtime import Runtime, hooks_of
from ncert.services import (
    clocks,
    directory,
    incidents,
    notifications,
    playbook_library,
    playbook_runs,
    rfis,
    tasks,
    teams,
)
from ncert.services import regimes as effective_regimes
from ncert.services.risk_links import link as link_to_risk
from ncert.taxonomy import Role
from ncert.timeline_text import Message, english, joined, message, utc, vocab
from playbooks.facts import Facts
from playbooks.loader import load_library
from playbooks.schema import (
    Action,
    AddTasks,
    Assign,
    LinkRisk,
    Notify,
    OpenNationalIncident,
    Playbook,
    RaiseSeverityTo,
    RequestInformation,
    SetCategory,
    SetSeverity,
    SetTlp,
    StartClock,
    Trigger,
)
from playbooks.texts import in_language

MAX_PASSES = 8  # a library whose playbooks keep re-enabling each other stops here
DEFAULT_LIBRARY = PLAYBOOK_LIBRARY  # the shipped folder; NCERT_PLAYBOOKS_DIR may name another
INTERFACE = "playbooks"


@dataclass
class Outcome:
    """What applying (or, in a dry run, planning) the library did to one incident."""

    reference: str
    fired: list[tuple[str, int, list[str]]] = field(default_factory=list)  # (playbook, version, action lines)


# -- running ---------------------------------------------------------------------------------


def run(session: Session, actor: Actor, trigger: Trigger | str, incident: Incident, library: list[Playbook], *,
        subject: str = "", now: datetime | None = None) -> Outcome:
    """Apply every matching playbook of ``library`` to ``incident`` for ``trigger``."""
    return run_many(session, actor, trigger, [incident], library, subject=subject, now=now)[0]


def run_many(session: Session, actor: Actor, trigger: Trigger | str, batch: list[Incident],
             library: list[Playbook], *, subject: str = "", now: datetime | None = None) -> list[Outcome]:
    """``run`` over many incidents, reading their facts and firings in batches."""
    now = now or utcnow()
    trigger = Trigger(trigger)
    books = sorted(library, key=lambda b: (b.priority, b.name))
    done = playbook_runs.fired(session, [i.id for i in batch])
    open_ = [i for i in batch if not _settled(i.id, trigger, books, done, subject)]
    facts = playbook_runs.facts_for(session, actor, open_, now)
    # Without autoflush, the rows the actions add are written together at the
    # end (executemany) instead of by every service query on the way; the
    # services that read back what they add flush for themselves. The playbooks'
    # own timeline notes follow them, as one insert.
    run = _Run()
    with _engine_active(), session.no_autoflush:
        outcomes = [_apply(session, actor, trigger, incident, books, facts[incident.id], done, subject, now, run)
                    if incident.id in facts else Outcome(incident.reference) for incident in batch]
    incidents.log_many(session, actor, run.notes)
    return outcomes


@dataclass
class _Run:
    """What one ``run_many`` collects as it goes: the playbooks' timeline notes, and the language each
    organisation asked reads requests in (read once per run, not once per request)."""

    notes: list[incidents.Change] = field(default_factory=list)
    languages: dict[int, str] | None = None

    def language_of(self, session: Session, org_id: int) -> str:
        if self.languages is None:
            self.languages = organisation_languages(session)
        return self.languages.get(org_id, default_locale())


def _settled(incident_id: int, trigger: Trigger, books: list[Playbook], done: set, subject: str) -> bool:
    """Whether every action of every enabled playbook listening to ``trigger`` has fired on the incident
    already: its facts then cannot change what the run does. Detection fires ``indicator.correlated`` on
    every earlier report carrying an indicator each time another report joins it, and the reports already
    grouped and escalated were most of that run's work."""
    return all((book.name, incident_id, index, subject) in done
               for book in books if book.enabled and trigger in book.triggers
               for index in range(len(book.actions)))


def _apply(session: Session, actor: Actor, trigger: Trigger, incident: Incident, books: list[Playbook],
           facts: Facts, done: set, subject: str, now: datetime, run: _Run) -> Outcome:
    outcome = Outcome(incident.reference)
    for _ in range(MAX_PASSES):
        progressed = False
        for book in books:
            if not book.applies(trigger, facts):
                continue
            pending = [(i, a) for i, a in enumerate(book.actions) if (book.name, incident.id, i, subject) not in done]
            if not pending:
                continue
            progressed = True
            said = []
            for index, action in pending:
                key = (book.name, incident.id, index, subject)
                playbook_runs.record_firing(session, key, book.version, str(trigger), now)
                done.add(key)
                said.append(_act(session, actor, book, action, incident, facts, now, run))
            facts = _refresh(facts, incident)
            lines = [english(line) for line in said]
            outcome.fired.append((book.name, book.version, lines))
            run.notes.append(incidents.Change(
                incident, "playbook", message(N_("Playbook %(name)s v%(version)s (%(trigger)s): %(actions)s"),
                                              name=book.name, version=book.version, trigger=str(trigger),
                                              actions=joined(said)),
                internal=True, action="playbook.fire",
                details={"playbook": book.name, "version": book.version, "trigger": str(trigger),
                         "subject": subject, "actions": lines}))
        if not progressed:
            break
    return outcome


def _refresh(facts: Facts, incident: Incident) -> Facts:
    """The snapshot after the engine's own triage changes."""
    return dataclasses.replace(facts, severity=incident.severity, tlp=str(incident.tlp),
                               category_class=incident.rsit_class, category_type=incident.rsit_type)


def _by(book: Playbook) -> str:
    return f"playbook {book.name} v{book.version}"


def _act(session: Session, actor: Actor, book: Playbook, action: Action, incident: Incident, facts: Facts,
         now: datetime, run: _Run) -> Message:
    """Apply one action through the services; returns a line for the timeline (``ncert.timeline_text``)."""
    reason = f"Playbook {book.name} v{book.version}"
    ref = incident.reference
    match action:
        case SetSeverity(level) | RaiseSeverityTo(level):
            if isinstance(action, RaiseSeverityTo) and incident.severity >= level:
                return message(N_("severity already %(severity)s (at least %(level)s)"),
                               severity=vocab("severity", incident.severity), level=vocab("severity", level))
            if incident.severity != level:
                _patch(session, actor, incident, IncidentPatch(severity=level, reason=reason))
            return message(N_("severity %(level)s"), level=vocab("severity", level))
        case SetCategory(rsit_class, rsit_type):
            category = Category(**{"class": rsit_class, "type": rsit_type})
            _patch(session, actor, incident, IncidentPatch(category=category, reason=reason))
            return message(N_("category %(category)s"), category=vocab("category", f"{rsit_class}/{rsit_type}"))
        case SetTlp(tlp):
            _patch(session, actor, incident, IncidentPatch(tlp=tlp, reason=reason))
            return message(N_("TLP %(tlp)s"), tlp=str(tlp))
        case Assign(team=team, user=user):
            if user is not None:
                _patch(session, actor, incident, IncidentPatch(assignee=user, reason=reason))
                return message(N_("assigned to %(user)s"), user=str(user))
            if teams.by_slug(session, team) is None:
                return message(N_("team %(team)s not assigned: no such team"), team=team)
            _patch(session, actor, incident, IncidentPatch(team=team, reason=reason))
            return message(N_("assigned to team %(team)s"), team=team)
        case AddTasks(titles, checklist, mandatory):
            default = default_locale()  # the centre's own staff work the tasks: its working language
            for title in titles:
                tasks.add(session, incident, in_language(title, default, default), created_by=_by(book),
                          checklist=checklist, mandatory=mandatory)
            return _tasks_line(len(titles), mandatory, checklist)
        case RequestInformation(text, title):
            return _request_information(session, actor, book, incident, title, text, run)
        case Notify(channel="email", template=template, recipients=recipients, subject=subject):
            to = notifications.resolve_recipients(session, actor, recipients)
            default = default_locale()

            def compose(lang: str) -> tuple[str, str]:  # each recipient reads their own language
                title = render(in_language(subject, lang, default), incident, book) if subject else \
                    f"[{ref}] {incident.title}"
                return title, render(in_language(template, lang, default), incident, book)

            notes = notifications.email_in_languages(session, incident, to, compose, created_by=_by(book))
            states = joined([_STATES.get(state, state) for state in dict.fromkeys(_queued(n.status) for n in notes)],
                            ", ")
            if not to:
                return message(N_("e-mail to nobody: %(states)s"), states=states)
            return message(N_("e-mail to %(recipients)s: %(states)s"), recipients=", ".join(to), states=states)
        case Notify(channel="webhook", template=template, url=url):
            payload = {"incident": ref, "title": incident.title, "severity": incident.severity,
                       "category": incident.category, "sector": incident.sector.slug, "playbook": book.name,
                       "version": book.version,
                       "text": render(in_language(template, default_locale(), default_locale()), incident, book)}
            note = notifications.webhook(session, incident, url, payload, created_by=_by(book))
            state = _queued(note.status)
            return message(N_("webhook %(url)s: %(state)s"), url=url, state=_STATES.get(state, state))
        case StartClock(regime):
            return _start_clock(session, incident, regime, now, internal=book.national)
        case OpenNationalIncident(title):
            national, added = playbook_runs.group(session, actor, incident, title or f"National: {incident.title}",
                                                  now)
            return message(N_("national incident %(reference)s (%(count)s incident(s) added)"),
                           reference=national.reference, count=len(added))
        case LinkRisk(risk):
            return _link_risk(session, actor, incident, risk)
    raise TypeError(f"unknown action {action!r}")


def _patch(session: Session, actor: Actor, incident: Incident, patch: IncidentPatch) -> None:
    """``incidents.update_fields`` on the incident in hand (finding it again by reference was a
    query per action)."""
    incidents.require_triage(actor)
    incidents.apply_patch(session, actor, incident, patch)
    incidents.announce(session, actor, incident, "patched")


def _request_information(session: Session, actor: Actor, book: Playbook, incident: Incident, title: str,
                         text: str, run: _Run) -> Message:
    """A request to the reporting organisation; when the national centre reported the incident
    itself, there is nobody to ask and the question becomes its own task."""
    lang, default = run.language_of(session, incident.reporter_org_id), default_locale()
    title = render_for_addressee(in_language(title, lang, default), incident, book)
    text = render_for_addressee(in_language(text, lang, default), incident, book)
    if incident.reporter_org.slug == directory.national_org_slug(session):
        tasks.add(session, incident, title, created_by=_by(book), detail=text)
        return message(N_("task %(title)s (reported by the national centre: nobody to ask)"), title=title)
    rfis.ask_reporter(session, actor, incident, title, text, created_by=_by(book))
    return message(N_("information requested from %(org)s"), org=incident.reporter_org.name)


def organisation_languages(session: Session) -> dict[int, str]:
    """The language each organisation reads a request in: the one most of its active analysts chose
    on their profile (``users.locale``); an organisation missing reads ``NCERT_DEFAULT_LOCALE``."""
    stmt = (select(User.org_id, User.locale, func.count()).where(
        User.active.is_(True), User.role == Role.SECTOR_ANALYST, User.locale.is_not(None), User.org_id.is_not(None))
        .group_by(User.org_id, User.locale).order_by(User.org_id, func.count().desc(), User.locale))
    chosen: dict[int, str] = {}
    for org_id, locale, _ in session.execute(stmt):
        chosen.setdefault(org_id, locale)  # each organisation's first row is its most chosen
    return chosen


def _queued(status: str) -> str:
    """A notification's state when the action ran: queued (sent after commit, ``ncert.outbox``) or why not."""
    return "queued" if status == notifications.PENDING else status


# A notification's states as the timeline says them.
_STATES = {state: message(text) for state, text in (
    ("queued", N_("queued")), (notifications.SENT, N_("sent")), (notifications.FAILED, N_("failed")),
    (notifications.NOT_SENT, N_("not-sent")))}


def _tasks_line(count: int, mandatory: bool, checklist: str | None) -> Message:
    if checklist:
        return message(N_("%(count)s mandatory task(s) (checklist %(checklist)s)") if mandatory else
                       N_("%(count)s task(s) (checklist %(checklist)s)"), count=count, checklist=checklist)
    return message(N_("%(count)s mandatory task(s)") if mandatory else N_("%(count)s task(s)"), count=count)


def _link_risk(session: Session, actor: Actor, incident: Incident, reference: str) -> Message:
    """Link through the register's service; an unknown risk is reported on the timeline instead of failing."""
    try:
        _, risk, added = link_to_risk(session, actor, incident.reference, reference)
    except NotFound:
        return message(N_("risk %(risk)s not linked: no such risk"), risk=reference)
    return message(N_("linked to risk %(risk)s") if added else N_("linked to risk %(risk)s (already linked)"),
                   risk=risk.reference)


def _start_clock(session: Session, incident: Incident, name: str, now: datetime, *, internal: bool) -> Message:
    """NIS2 counts from the incident's awareness time, and its sector's regime
    applies (trust service providers report sooner); a repeating status clock
    counts from now. Regimes come from the effective registry (built-in and stored);
    an unknown name is reported on the timeline instead of failing the run. A clock a
    national playbook starts (crisis mode) is internal: the reporter does not see it."""
    if name == regimes.DEFAULT_REGIME:
        regime = effective_regimes.regime_for(session, incident.sector.slug)
    else:
        regime = effective_regimes.lookup(session, name)
    if regime is None:
        return message(N_("clock %(regime)s not started: no such reporting regime"), regime=name)
    start = now if regime.repeat else (incident.aware_at or incident.reported_at)
    added = clocks.start(session, incident, regime, start, internal=internal)
    return message(N_("clock %(regime)s started (%(count)s deadline(s))"), regime=regime.name, count=len(added))


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(template: str, incident: Incident, book: Playbook) -> str:
    """Fill ``{reference}``, ``{title}``, ``{severity}``, ``{category}``, ``{sector}``,
    ``{reporter}``, ``{tlp}`` and ``{playbook}``; other braces stay as written."""
    values = {"reference": incident.reference, "title": incident.title, "severity": str(incident.severity),
              "category": incident.category, "sector": incident.sector.slug, "reporter": incident.reporter_org.name,
              "tlp": str(incident.tlp), "playbook": f"{book.name} v{book.version}"}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def render_for_addressee(template: str, incident: Incident, book: Playbook) -> str:
    """``render`` for a request to the reporting organisation: only what it sees of its own report
    (``playbooks.schema.ADDRESSEE_PLACEHOLDERS``), the severity it was told included; any other
    brace stays as written, so no national or other organisation's value can reach it."""
    values = {"reference": incident.reference, "title": incident.title, "category": incident.category,
              "sector": incident.sector.slug, "reporter": incident.reporter_org.name, "tlp": str(incident.tlp),
              "severity": str(incident.communicated_severity), "playbook": f"{book.name} v{book.version}"}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


# -- dry run ----------------------------------------------------------------------------------


def dry_run(session: Session, actor: Actor, playbook: Playbook, since: timedelta,
            now: datetime | None = None) -> list[Outcome]:
    """What ``playbook`` would have done to the incidents reported in the last
    ``since``, each judged as at its report time; writes nothing."""
    now = now or utcnow()
    stmt = scope(actor, select(Incident).where(Incident.reported_at >= now - since).order_by(Incident.reported_at,
                                                                                              Incident.id))
    batch = list(session.scalars(stmt))
    out = []
    with session.no_autoflush:
        done = playbook_runs.fired(session, [i.id for i in batch])
        for incident in batch:
            facts = playbook_runs.facts_for(session, actor, [incident], incident.reported_at)[incident.id]
            triggers = [t for t in (Trigger.INCIDENT_CREATED, Trigger.INCIDENT_UPDATED) if t in playbook.triggers]
            if not any(playbook.applies(t, facts) for t in triggers):
                continue
            lines = [describe(a) for i, a in enumerate(playbook.actions) if (playbook.name, incident.id, i, "")
                     not in done]
            if lines:
                out.append(Outcome(incident.reference, [(playbook.name, playbook.version, lines)]))
    return out


def describe(action: Action) -> str:
    """A line saying what an action would do."""
    match action:
        case SetSeverity(level):
            return f"set severity {level}"
        case RaiseSeverityTo(level):
            return f"raise severity to at least {level}"
        case SetCategory(rsit_class, rsit_type):
            return f"set category {rsit_class}/{rsit_type}"
        case SetTlp(tlp):
            return f"set TLP {tlp}"
        case Assign(team=team, user=user):
            return f"assign to {user or 'team ' + str(team)}"
        case AddTasks(titles, checklist, mandatory):
            return f"add {len(titles)} {'mandatory ' if mandatory else ''}task(s)" + (
                f" (checklist {checklist})" if checklist else "")
        case RequestInformation(_, title):
            return f"request information: {title}"
        case Notify(channel="email", recipients=recipients):
            return f"e-mail {', '.join(recipients)}"
        case Notify(url=url):
            return f"webhook {url}"
        case StartClock(regime):
            return f"start clock {regime}"
        case OpenNationalIncident():
            return "open a national incident"
        case LinkRisk(risk):
            return f"link risk {risk}"
    return repr(action)


# -- deadlines ---------------------------------------------------------------------------------


def check_deadlines(session: Session, now: datetime | None = None, *, library: list[Playbook] | None = None,
                    actor: Actor | None = None) -> list[RegulatoryDeadline]:
    """Fire deadline.approaching / deadline.overdue once per open deadline owed
    at ``now``; the scheduler calls this every minute. Returns the deadlines fired."""
    now = now or utcnow()
    library = active_library(session) if library is None else library
    actor = actor or _system_actor(session)
    owed = clocks.due(session, now)
    for item in owed:
        row = item.deadline
        incident = session.scalar(scope(actor, select(Incident).where(Incident.id == row.incident_id)))
        if item.state is regimes.ClockState.OVERDUE:
            row.overdue_fired_at, trigger, word = now, Trigger.DEADLINE_OVERDUE, "overdue"
        else:
            row.approaching_fired_at, trigger, word = now, Trigger.DEADLINE_APPROACHING, "approaching"
        said = {"regime": clocks.regime_title(row), "stage": clocks.stage_text(row.stage), "due": utc(row.due_at)}
        incidents.note(session, actor, incident, "deadline",
                       message(N_("%(regime)s: %(stage)s overdue (due %(due)s)") if word == "overdue" else
                               N_("%(regime)s: %(stage)s approaching (due %(due)s)"), **said),
                       action=f"incident.deadline-{word}", internal=True, regime=row.regime, stage=row.stage)
        run(session, actor, trigger, incident, library, subject=f"deadline:{row.id}:{word}", now=now)
    rfis.note_overdue(session, actor, now)
    return [item.deadline for item in owed]


# -- installation -------------------------------------------------------------------------------


EXTENSION = "playbooks"  # the engine's state on a runtime (``ncert.runtime.Hooks.extensions``)


@dataclass
class _Installed:
    library: list[Playbook] = field(default_factory=list)  # the folder's, run while nothing is stored
    stored: tuple[tuple[int, int], list[Playbook]] | None = None  # the stored library at its revision


def _installed(session: Session) -> _Installed | None:
    """The engine installed on the runtime that made ``session``, if any."""
    return hooks_of(session).extensions.get(EXTENSION)


_local = threading.local()


class _engine_active:
    """Marks the engine as running on this thread: its own service calls raise
    incident events that it must not handle again (it re-evaluates itself)."""

    def __enter__(self):
        _local.depth = getattr(_local, "depth", 0) + 1

    def __exit__(self, *exc):
        _local.depth -= 1


def _system_actor(session: Session) -> Actor:
    return directory.system_actor(session, directory.national_org_slug(session), INTERFACE)


def fire(session: Session, trigger: Trigger | str, batch: list[Incident], *, subject: str = "",
         now: datetime | None = None) -> list[Outcome]:
    """Run the installed library over ``batch`` for an event another module produced
    (a correlation, an anomaly); ``subject`` tells its repetitions apart. Does
    nothing while the engine is not installed or is already running."""
    if running() or _installed(session) is None or not batch:
        return []
    return run_many(session, _system_actor(session), trigger, batch, active_library(session), subject=subject,
                    now=now)


def running() -> bool:
    """Whether the engine is applying actions on this thread (their events are its own)."""
    return bool(getattr(_local, "depth", 0))


def on_incident_changed(session: Session, actor: Actor, incident: Incident, change: str) -> None:
    """The incidents service hook: created → incident.created, patched → incident.updated."""
    if running() or _installed(session) is None:
        return
    trigger = Trigger.INCIDENT_CREATED if change == "created" else Trigger.INCIDENT_UPDATED
    run(session, _system_actor(session), trigger, incident, active_library(session))


def active_library(session: Session) -> list[Playbook]:
    """The library as stored in the database (``ncert.services.playbook_library``),
    reloaded whenever an admin changes it; the installed folder while nothing is stored."""
    installed = _installed(session) or _Installed()
    revision = playbook_library.revision(session)
    if revision == (0, 0):
        return installed.library
    if installed.stored is None or installed.stored[0] != revision:
        installed.stored = (revision, playbook_library.library(session))
    return installed.stored[1]


def install(runtime: Runtime, library_dir: str | Path = DEFAULT_LIBRARY) -> list[Playbook]:
    """Load the folder library and make the engine a listener of ``runtime``'s incident events (idempotent)."""
    runtime.hooks.extensions[EXTENSION] = _Installed(load_library(library_dir))
    if on_incident_changed not in runtime.hooks.incident_listeners:
        runtime.hooks.incident_listeners.append(on_incident_changed)
    return runtime.hooks.extensions[EXTENSION].library


def uninstall(runtime: Runtime) -> None:
    """Stop acting on ``runtime``'s incident events."""
    while on_incident_changed in runtime.hooks.incident_listeners:
        runtime.hooks.incident_listeners.remove(on_incident_changed)
    runtime.hooks.extensions.pop(EXTENSION, None)
