"""The effective reporting regimes: the built-ins of ``ncert.clocks`` plus those
admins store, and which regime each sector reports under.

Built-in regimes (NIS2, NIS2 for trust service providers, crisis status) are the
law as code and cannot be redefined: a stored regime needs a name of its own
(e.g. ``central-bank-4h``). What the database can change is the sector
assignment, so "finance reports to the central bank within 4 hours" is one
stored regime plus one assignment, and NIS2 stays what the Directive says.
Editing a stored regime re-times running deadlines only when a report for them
is next recorded; deadlines already laid out keep their due times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert import clocks
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import ReportingRegime, Sector, SectorRegime
from ncert.services import audit, directory

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_NAME = 64
MAX_STAGE_NAME = 56  # room for the "#n" suffix of a repeating stage's occurrences
MAX_TITLE = 200
MAX_STAGES = 12
MAX_AMOUNT = 1000
WARN_UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
MAX_WARN_MINUTES = 366 * 24 * 60
_CACHE = "ncert.regimes"  # key in Session.info: (stored regimes, stored sector assignments)


# -- reading ------------------------------------------------------------------------------


def is_built_in(name: str) -> bool:
    return name in clocks.REGIMES


def _stored(session: Session) -> tuple[dict[str, clocks.Regime], dict[str, str]]:
    """Stored regimes and assignments, read once per session (writes here drop the copy)."""
    if _CACHE not in session.info:
        stored = {row.name: to_regime(row) for row in session.scalars(select(ReportingRegime))}
        table = {a.sector.slug: a.regime for a in session.scalars(select(SectorRegime))}
        session.info[_CACHE] = (stored, table)
    return session.info[_CACHE]


def registry(session: Session) -> dict[str, clocks.Regime]:
    """Every regime by name: built-ins first, then stored ones."""
    return {**clocks.REGIMES, **_stored(session)[0]}


def lookup(session: Session, name: str) -> clocks.Regime | None:
    return clocks.REGIMES.get(name) or _stored(session)[0].get(name)


def assignments(session: Session) -> dict[str, str]:
    """Sector slug → regime name: ``clocks.SECTOR_REGIMES`` overridden by stored assignments."""
    return {**clocks.SECTOR_REGIMES, **_stored(session)[1]}


def regime_for(session: Session, sector: str | None) -> clocks.Regime:
    """The regime an entity of ``sector`` reports under (``clocks.DEFAULT_REGIME`` when unassigned)."""
    return clocks.regime_for(sector, assignments(session), registry(session))


def stored(session: Session) -> list[ReportingRegime]:
    return list(session.scalars(select(ReportingRegime).order_by(ReportingRegime.name)))


def get_stored(session: Session, name: str) -> ReportingRegime:
    row = session.scalar(select(ReportingRegime).where(ReportingRegime.name == name))
    if row is None:
        if is_built_in(name):
            raise NotFound(N_("no stored regime '%(name)s' (built-in regimes cannot be edited)"), name=name)
        raise NotFound(N_("no stored regime '%(name)s'"), name=name)
    return row


def to_regime(row: ReportingRegime) -> clocks.Regime:
    stages = tuple(
        clocks.Stage(s["name"], clocks.Offset(s["amount"], clocks.Unit(s["unit"])), clocks.Anchor(s["anchor"]),
                     timedelta(minutes=s["warn_minutes"]))
        for s in row.stages
    )
    return clocks.Regime(row.name, row.title, stages, row.repeat)


def stage_dicts(regime: clocks.Regime) -> list[dict[str, Any]]:
    return [{"name": s.name, "amount": s.offset.amount, "unit": s.offset.unit.value, "anchor": s.anchor.value,
             "warn_minutes": int(s.warn_before.total_seconds() // 60)} for s in regime.stages]


# -- validating -----------------------------------------------------------------------------


def validate(name: str, title: str, repeat: bool, stages: list[dict[str, Any]]) -> clocks.Regime:
    """The regime these fields describe, or ``Invalid`` listing every bad field
    (``errors`` items are ``{"field": "stages[2].unit", "message": …}``)."""
    errors: list[tuple[str, str]] = []
    if not NAME.match(name) or len(name) > MAX_NAME:
        errors.append(("name", f"lower-case letters, digits and hyphens, at most {MAX_NAME} characters"))
    elif is_built_in(name):
        errors.append(("name", f"{name} is a built-in regime and cannot be redefined; choose another name "
                               "and assign it to the sectors it applies to"))
    if not title.strip() or len(title) > MAX_TITLE:
        errors.append(("title", f"required, at most {MAX_TITLE} characters"))
    if not stages:
        errors.append(("stages", "at least one stage"))
    elif len(stages) > MAX_STAGES:
        errors.append(("stages", f"at most {MAX_STAGES} stages"))
    seen: set[str] = set()
    for n, stage in enumerate(stages, 1):
        errors.extend((f"stages[{n}].{f}", m) for f, m in _stage_errors(stage, seen))
    if errors:
        raise Invalid("; ".join(f"{f}: {m}" for f, m in errors),
                      errors=[{"field": f, "message": m} for f, m in errors])
    return clocks.Regime(name, title.strip(), tuple(
        clocks.Stage(s["name"], clocks.Offset(s["amount"], clocks.Unit(s["unit"])), clocks.Anchor(s["anchor"]),
                     timedelta(minutes=s["warn_minutes"])) for s in stages), repeat)


def _stage_errors(stage: dict[str, Any], seen: set[str]) -> Iterable[tuple[str, str]]:
    name = stage.get("name")
    if not isinstance(name, str) or not NAME.match(name) or len(name) > MAX_STAGE_NAME:
        yield "name", f"lower-case letters, digits and hyphens, at most {MAX_STAGE_NAME} characters"
    elif name in seen:
        yield "name", f"{name} appears twice"
    else:
        seen.add(name)
    amount = stage.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT:
        yield "amount", f"a whole number from 1 to {MAX_AMOUNT}"
    if stage.get("unit") not in set(clocks.Unit):
        yield "unit", "hours, days or months"
    if stage.get("anchor") not in set(clocks.Anchor):
        yield "anchor", "awareness or previous"
    warn = stage.get("warn_minutes")
    if not isinstance(warn, int) or isinstance(warn, bool) or not 0 <= warn <= MAX_WARN_MINUTES:
        yield "warn_minutes", "a whole number of minutes from 0 to one year"


# -- the one-stage-per-line text form (the console's editor) --------------------------------

STAGE_SYNTAX = "<stage> <amount> <hours|days|months> [after <awareness|previous>] [warn <amount> <minutes|hours|days>]"


def parse_stages(text: str) -> list[dict[str, Any]]:
    """Stages written one per line, e.g. ``initial-report 4 hours after awareness warn 1 hours``;
    blank lines and ``#`` comments are skipped. ``Invalid`` names each bad line."""
    out, errors = [], []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            out.append(_parse_line(line.split()))
        except ValueError as exc:
            errors.append((f"stages line {number}", str(exc)))
    if errors:
        raise Invalid("; ".join(f"{f}: {m}" for f, m in errors),
                      errors=[{"field": f, "message": m} for f, m in errors])
    return out


def _parse_line(words: list[str]) -> dict[str, Any]:
    if len(words) < 3:
        raise ValueError(f"expected {STAGE_SYNTAX}")
    name, amount, unit, rest = words[0], _whole(words[1], "amount"), words[2], words[3:]
    if unit not in set(clocks.Unit):
        raise ValueError(f"unit {unit!r} is not hours, days or months")
    stage = {"name": name, "amount": amount, "unit": unit, "anchor": clocks.Anchor.AWARENESS.value,
             "warn_minutes": int(clocks.DEFAULT_WARN_BEFORE.total_seconds() // 60)}
    while rest:
        match rest:
            case ["after", anchor, *rest]:
                if anchor not in set(clocks.Anchor):
                    raise ValueError(f"after {anchor!r}: expected awareness or previous")
                stage["anchor"] = anchor
            case ["warn", amount_text, warn_unit, *rest]:
                if warn_unit not in WARN_UNITS:
                    raise ValueError(f"warn unit {warn_unit!r} is not minutes, hours or days")
                stage["warn_minutes"] = _whole(amount_text, "warn amount") * WARN_UNITS[warn_unit]
            case _:
                raise ValueError(f"unexpected {' '.join(rest)!r}; expected {STAGE_SYNTAX}")
    return stage


def _whole(text: str, what: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{what} {text!r} is not a whole number")
    return int(text)


def format_stages(regime: clocks.Regime) -> str:
    """The stages in the text form ``parse_stages`` reads."""
    lines = []
    for s in regime.stages:
        minutes = int(s.warn_before.total_seconds() // 60)
        unit = next(u for u in ("days", "hours", "minutes") if minutes % WARN_UNITS[u] == 0)
        lines.append(f"{s.name} {s.offset.amount} {s.offset.unit.value} after {s.anchor.value} "
                     f"warn {minutes // WARN_UNITS[unit]} {unit}")
    return "\n".join(lines)


# -- writing (admins) -----------------------------------------------------------------------


def save(session: Session, actor: Actor, *, name: str, title: str, repeat: bool, stages: list[dict[str, Any]],
         new: bool) -> ReportingRegime:
    """Create (``new``) or replace a stored regime; admins only."""
    directory.require_admin(actor)
    regime = validate(name, title, repeat, stages)
    row = session.scalar(select(ReportingRegime).where(ReportingRegime.name == name))
    if new and row is not None:
        raise Conflict(N_("a regime named '%(name)s' exists"), name=name)
    if not new and row is None:
        raise NotFound(N_("no stored regime '%(name)s'"), name=name)
    if row is None:
        row = ReportingRegime(name=name, created_at=utcnow())
        session.add(row)
    row.title, row.repeat, row.stages, row.updated_at = regime.title, regime.repeat, stage_dicts(regime), utcnow()
    session.flush()
    session.info.pop(_CACHE, None)
    audit.record(session, actor, "regimes.create" if new else "regimes.update", "reporting_regime", name,
                 title=row.title, repeat=row.repeat, stages=row.stages)
    return row


def assign(session: Session, actor: Actor, sector: str, regime: str | None) -> None:
    """Make ``sector`` report under ``regime``; ``None`` or "" goes back to the built-in default."""
    directory.require_admin(actor)
    target = directory.sector_by_slug(session, sector)
    if regime and lookup(session, regime) is None:
        raise Invalid(N_("regime: unknown regime '%(regime)s'"),
                      regime=regime, errors=[{"field": "regime", "message": "unknown"}])
    row = session.get(SectorRegime, target.id)
    if not regime:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(SectorRegime(sector_id=target.id, regime=regime, updated_at=utcnow()))
    else:
        row.regime, row.updated_at = regime, utcnow()
    session.flush()
    session.info.pop(_CACHE, None)
    audit.record(session, actor, "regimes.assign", "sector", sector, regime=regime or None)


def sector_table(session: Session) -> list[tuple[Sector, clocks.Regime, bool]]:
    """Each sector with the regime it reports under and whether that is a stored assignment."""
    mine = _stored(session)[1]
    return [(s, regime_for(session, s.slug), s.slug in mine) for s in directory.sectors(session)]
