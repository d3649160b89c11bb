"""The national triage queue: filtered, sorted, keyset-paged, with counts.

Paging is by keyset (sort value, id) with an opaque cursor, so page N costs
the same as page 1 on a million rows and nothing is kept between requests.
A page is read in two steps: the ids of the page (filters, visibility, sort,
keyset, LIMIT page + 1) through the indexes alone, then those rows with their
joins, so no query joins or sorts more than a page. Counts per status are read
from the status totals kept on write when the filters are only by status, label
or reporter; otherwise they are exact on request (``status_counts``) or bounded
(``bounded_status_counts``) for a page that shows them on every view.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

import orjson
from sqlalchemy import Select, exists, false, func, literal, literal_column, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from ncert.access import next_due_column, scope, severity_column, updated_column
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import BadRequest, Invalid
from ncert.i18n import N_
from ncert.models import (
    Incident,
    IncidentIndicator,
    Indicator,
    Organization,
    Sector,
    StatusTotal,
    Team,
    TeamMember,
    User,
    incident_affected_sectors,
)
from ncert.search import incident_text_filter
from ncert.services import rfis, tasks
from ncert.services.indicator_search import carrying_filter
from ncert.taxonomy import RSIT, SEVERITY_LEVELS, TLP, Status

SORTS = {  # sort name → the column for the actor (severity and update time differ by who asks)
    "reported_at": lambda actor: Incident.reported_at,
    "updated_at": updated_column,
    "severity": severity_column,
    "next_due_at": next_due_column,  # ascending: the most urgent first; none sorts last
}
DEFAULT_SORT = "-reported_at"


@dataclass(frozen=True)
class QueueFilter:
    status: tuple[Status, ...] = ()
    sector: tuple[str, ...] = ()  # reporting or affected sector slugs
    severity: tuple[int, ...] = ()
    severity_min: int | None = None
    category: str | None = None  # "class" or "class/type"
    tlp: tuple[TLP, ...] = ()
    assignee: str | None = None  # "me", "none", a user id or e-mail
    team: str | None = None  # a team slug, "mine" (the actor's teams) or "none"
    reporter_org: str | None = None
    q: str | None = None
    reported_after: datetime | None = None
    reported_before: datetime | None = None
    indicator: tuple[str, str] | None = None  # (type, normalised value): the incidents carrying it


@dataclass(frozen=True)
class Page:
    items: list[Incident]
    next_cursor: str | None
    sort: str
    limit: int
    filters: QueueFilter = field(default_factory=QueueFilter)
    prev_cursor: str | None = None  # the page before this one, when there is one


def list_incidents(
    session: Session, actor: Actor, filters: QueueFilter, *, sort: str = DEFAULT_SORT, limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """A page of the visible incidents ``filters`` match. A cursor from ``next_cursor`` reads on;
    one from ``prev_cursor`` reads the page before it, walking the same index the other way."""
    column, descending = _sort(sort, actor)
    stmt = _filtered(session, actor, select(Incident.id, column), filters, ordered_by=column)
    key = tuple_(column, Incident.id)
    backward = False
    if cursor:
        value, last_id, backward = _read_cursor(cursor, sort)
        stmt = stmt.where(key < (value, last_id) if descending != backward else key > (value, last_id))
    order = (column.desc(), Incident.id.desc()) if descending != backward else (column.asc(), Incident.id.asc())
    keys = session.execute(stmt.order_by(*order).limit(limit + 1)).all()
    more = len(keys) > limit  # another page on in the direction read
    keys = keys[:limit][::-1] if backward else keys[:limit]
    ids = [row[0] for row in keys]
    loaded = {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(ids)))} if ids else {}
    items = [loaded[i] for i in ids]
    has_next, has_prev = (bool(cursor), more) if backward else (more, bool(cursor))
    next_cursor = _encode(sort, keys[-1][1], ids[-1]) if keys and has_next else None
    prev_cursor = _encode(sort, keys[0][1], ids[0], backward=True) if keys and has_prev else None
    return Page(items, next_cursor, sort, limit, filters, prev_cursor)


@dataclass(frozen=True)
class Work:
    """Open and overdue tasks and requests for information on one incident, as the actor sees them."""

    open_tasks: int = 0
    overdue_tasks: int = 0
    open_rfis: int = 0
    overdue_rfis: int = 0


def work_counts(session: Session, actor: Actor, incident_ids: list[int]) -> dict[int, Work]:
    """``Work`` per listed incident that has any open: tasks for national staff only, requests
    to the actor's organisation for anyone else (``ncert.access`` scopes both)."""
    if not incident_ids:
        return {}
    now = utcnow()
    stmt = union_all(tasks.counting(actor, incident_ids, now).add_columns(literal_column("0")),
                     rfis.counting(actor, incident_ids, now).add_columns(literal_column("1")))
    found: dict[int, list[int]] = {}
    for incident_id, n, late, kind in session.execute(stmt):  # one statement for both, read with the page
        found.setdefault(incident_id, [0, 0, 0, 0])[2 * kind : 2 * kind + 2] = n, int(late or 0)
    return {i: Work(*found[i]) for i in incident_ids if i in found}


def status_counts(session: Session, actor: Actor, filters: QueueFilter) -> dict[str, int]:
    """How many visible incidents are in each status, under every filter but status."""
    totals = _from_totals(session, actor, filters)
    return totals if totals is not None else _per_status(session, actor, filters, None)


COUNT_CAP = 1000  # a page shown on every view counts each status up to this, then says "1000+"


@dataclass(frozen=True)
class StatusCounts:
    """Per-status counts for a page shown on every view: exact when ``bound`` is None, else each
    count above ``bound`` is ``bound + 1`` (a lower bound)."""

    counts: dict[str, int]
    bound: int | None


def bounded_status_counts(session: Session, actor: Actor, filters: QueueFilter,
                          cap: int | None = None) -> StatusCounts:
    """``status_counts``, exact where the status totals answer it, else each status counted only up
    to ``cap`` (``COUNT_CAP``) + 1 rows, so one page view reads at most (cap + 1) index entries per status."""
    totals = _from_totals(session, actor, filters)
    if totals is not None:
        return StatusCounts(totals, None)
    cap = COUNT_CAP if cap is None else cap
    return StatusCounts(_per_status(session, actor, filters, cap + 1), cap)


def _from_totals(session: Session, actor: Actor, f: QueueFilter) -> dict[str, int] | None:
    """Exact counts per status from the status totals (``StatusTotal``, a few rows per organisation,
    kept on write), when ``f`` filters by nothing but what they are keyed by; else None."""
    if replace(f, status=(), tlp=(), reporter_org=None) != QueueFilter():
        return None
    stmt = scope(actor, select(StatusTotal.status, func.sum(StatusTotal.n)).group_by(StatusTotal.status),
                 StatusTotal)
    if f.tlp:
        stmt = stmt.where(StatusTotal.tlp.in_(f.tlp))
    if f.reporter_org:
        org_id = session.scalar(select(Organization.id).where(Organization.slug == f.reporter_org))
        stmt = stmt.where(StatusTotal.reporter_org_id == org_id)
    return {str(s): 0 for s in Status} | {str(status): int(n) for status, n in session.execute(stmt)}


def _per_status(session: Session, actor: Actor, filters: QueueFilter, most: int | None) -> dict[str, int]:
    """One count per status in one statement: each an equality on status, which the covering
    indexes (status, …) answer from the index alone, stopping after ``most`` rows if given."""
    # ordered_by: a bounded count checks a common search word per row, as a page would, rather
    # than collecting every match; an exact count reads every match anyway
    matching = _filtered(session, actor, select(Incident.id), replace(filters, status=()),
                         ordered_by=Incident.reported_at if most else None)
    arms = [select(literal(str(s)).label("status"), select(func.count()).select_from(
        matching.where(Incident.status == s).limit(most).subquery()).scalar_subquery().label("n"))
        for s in Status]
    return {status: n for status, n in session.execute(union_all(*arms))}


def in_sectors(sector_ids: list[int]):
    """Whether an incident is in one of the sectors: reported from it, or naming it affected. The one
    definition of "an incident's sectors": the queue's sector filter, and ``sector_counting`` (the
    trends page's and the search interface's counts by sector) on the database backends."""
    affected = exists().where(incident_affected_sectors.c.incident_id == Incident.id,
                              incident_affected_sectors.c.sector_id.in_(sector_ids))
    return or_(Incident.sector_id.in_(sector_ids), affected)


def sector_counting(matched, reported) -> Select:
    """(key: sector slug, n) per sector of the incidents in ``matched`` (a subquery or CTE of their ``id``
    and ``sector_id``, as ``matching`` selects them), counted as ``in_sectors`` finds them: each once in
    its reporting sector and once in every other sector it names affected, so a sector's count is how
    many the queue lists filtered on that sector (and an incident in two sectors counts in both).
    ``reported`` is (sector id, n): columns of one relation counting the same incidents by reporting
    sector (the search interface's cells), summed rather than grouping ``matched`` once more. One
    grouped statement, never a count per sector."""
    links = incident_affected_sectors.alias("counted_sector_links")  # apart from a sector filter's own
    sector_id, n = reported
    memberships = union_all(
        select(sector_id.label("sector_id"), n.label("n")),
        select(links.c.sector_id, literal_column("1"))
        .join_from(matched, links, links.c.incident_id == matched.c.id)
        .where(links.c.sector_id != matched.c.sector_id)).subquery("memberships")
    return (select(Sector.slug.label("key"), func.sum(memberships.c.n).label("n"))
            .join_from(memberships, Sector, Sector.id == memberships.c.sector_id).group_by(Sector.slug))


def matching(session: Session, actor: Actor, stmt: Select, filters: QueueFilter) -> Select:
    """``stmt`` (selecting from Incident) narrowed to the visible incidents ``filters`` match, as the
    queue reads them: the search interface aggregates over it."""
    return _filtered(session, actor, stmt, filters)


def _filtered(session: Session, actor: Actor, stmt: Select, f: QueueFilter, ordered_by=None) -> Select:
    if f.q and ordered_by is None:  # the text index finds the rows (incident_text_filter): see _per_row
        visible = scope(actor, select(Incident.id)).whereclause
        stmt = stmt if visible is None else stmt.where(_per_row(visible))
    else:
        stmt = scope(actor, stmt)
    if f.status:
        stmt = stmt.where(Incident.status.in_(f.status))
    if f.sector:
        stmt = stmt.where(in_sectors(list(session.scalars(select(Sector.id).where(Sector.slug.in_(f.sector))))))
    severity = severity_column(actor)
    if f.severity:
        stmt = stmt.where(severity.in_(f.severity))
    if f.severity_min is not None:
        stmt = stmt.where(severity >= f.severity_min)
    if f.category:
        rsit_class, _, rsit_type = f.category.partition("/")
        if rsit_class not in RSIT or (rsit_type and rsit_type not in RSIT[rsit_class]):
            raise Invalid(N_("unknown RSIT category '%(category)s'"), category=f.category)
        stmt = stmt.where(Incident.rsit_class == rsit_class)
        if rsit_type:
            stmt = stmt.where(Incident.rsit_type == rsit_type)
    if f.tlp:
        stmt = stmt.where(Incident.tlp.in_(f.tlp))
    if f.assignee:
        stmt = stmt.where(_assignee_clause(session, actor, f.assignee))
    if f.team:
        stmt = stmt.where(_team_clause(session, actor, f.team))
    if f.reporter_org:
        org_id = session.scalar(select(Organization.id).where(Organization.slug == f.reporter_org))
        stmt = stmt.where(Incident.reporter_org_id == org_id)
    if f.q:
        text = incident_text_filter(session, f.q, ordered_by=ordered_by, actor=actor)
        carrying = carrying_filter(session, f.q)  # the incidents carrying the values q names
        stmt = stmt.where(text if carrying is None else or_(text, carrying))
    if f.indicator:
        carrying = (select(IncidentIndicator.incident_id)
                    .join(Indicator, Indicator.id == IncidentIndicator.indicator_id)
                    .where(Indicator.type == f.indicator[0], Indicator.value == f.indicator[1]))
        stmt = stmt.where(Incident.id.in_(carrying))
    if f.reported_after:
        stmt = stmt.where(Incident.reported_at > f.reported_after)
    if f.reported_before:
        stmt = stmt.where(Incident.reported_at < f.reported_before)
    return stmt


def _per_row(clause):
    """``clause``, checked on each row the text index finds rather than through an index of its own.
    A reader's scope is what its community may read (TLP:CLEAR and TLP:GREEN: four in ten incidents
    of the benchmark), so its bitmap hardly narrows a text match; ANDed with a common word's, it
    overflowed work_mem into lossy pages, whose every row PostgreSQL then tokenised again (2.8 s against
    0.4 s for 'phishing' at a million incidents, issue 12). COALESCE(clause, false) keeps the same rows
    in a WHERE clause, but no index answers it."""
    return func.coalesce(clause, false())


def _assignee_clause(session: Session, actor: Actor, who: str):
    if who == "none":
        return Incident.assignee_id.is_(None)
    if who == "me":
        if actor.user_id is None:  # an API key or the system: nobody is "me"
            raise Invalid(N_("'me' needs a signed-in user; give a user id or e-mail"))
        return Incident.assignee_id == actor.user_id
    if who.isdigit():
        return Incident.assignee_id == int(who)
    return Incident.assignee_id == select(User.id).where(User.email == who.lower()).scalar_subquery()


def _team_clause(session: Session, actor: Actor, team: str):
    if team == "none":
        return Incident.team_id.is_(None)
    if team == "mine":
        if actor.user_id is None:
            raise BadRequest(N_("team 'mine' needs a signed-in user; give a team slug"))
        return Incident.team_id.in_(select(TeamMember.team_id).where(TeamMember.user_id == actor.user_id))
    team_id = session.scalar(select(Team.id).where(Team.slug == team))
    if team_id is None:
        raise BadRequest(N_("unknown team '%(team)s'"), team=team)
    return Incident.team_id == team_id


def _sort(sort: str, actor: Actor):
    name = sort.lstrip("-")
    if name not in SORTS:
        raise BadRequest(N_("unknown sort '%(sort)s'; expected one of %(sorts)s, optionally prefixed with '-'"),
                         sort=sort, sorts=', '.join(SORTS))
    return SORTS[name](actor), sort.startswith("-")


def _encode(sort: str, value, last_id: int, *, backward: bool = False) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = orjson.dumps([sort, value, last_id, *(["prev"] if backward else [])])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str):
    """(sort value, id) of a cursor that reads on (the search backends page forward only)."""
    value, last_id, backward = _read_cursor(cursor, sort)
    if backward:
        raise BadRequest(N_("malformed cursor: a previous-page cursor pages only the queue"))
    return value, last_id


def _read_cursor(cursor: str, sort: str):
    """(sort value, id, backward) of a cursor; backward for one that reads the page before."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, last_id, *direction = orjson.loads(raw)
    except (ValueError, TypeError):
        raise BadRequest(N_("malformed cursor")) from None
    if direction not in ([], ["prev"]):
        raise BadRequest(N_("malformed cursor"))
    if cursor_sort != sort:
        raise BadRequest(N_("cursor does not belong to this sort order"))
    # A cursor comes back from the client, so it may be forged: every value must
    # be one a query can bind (ids are 32-bit on PostgreSQL, times UTC-aware).
    if type(last_id) is not int or not 0 < last_id < 2**31:
        raise BadRequest(N_("malformed cursor"))
    if sort.lstrip("-") in ("reported_at", "updated_at", "next_due_at"):
        try:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("naive")
            value = value.astimezone(timezone.utc)
        except (TypeError, ValueError, OverflowError):
            raise BadRequest(N_("malformed cursor")) from None
    elif type(value) is not int or value not in SEVERITY_LEVELS:
        raise BadRequest(N_("malformed cursor"))
    return value, last_id, bool(direction)
