"""The triage queue: filters and sorting from the query string, keyset paging,
and per-status counts as tabs (bounded: a tab over ``queue.COUNT_CAP`` shows "1000+")."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import login_required

from ncert.access import severity_of, updated_of
from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.console.forms import QUEUE_SORTS, QueueFilterForm, category_choices, options
from ncert.errors import BadRequest
from ncert.services import clocks, directory, queue, teams
from ncert.taxonomy import OPEN_STATUSES, TLP, Status
from ncert.web.session import db

PAGE_SIZE = 50


@bp.app_template_filter("shown_severity")
def shown_severity(incident) -> int:
    """The severity the signed-in user may see of an incident (``access.severity_of``)."""
    return severity_of(current_actor(), incident)


@bp.app_template_filter("shown_updated")
def shown_updated(incident):
    """When the incident last changed, as the signed-in user may know (``access.updated_of``)."""
    return updated_of(current_actor(), incident)


@bp.get("/")
@login_required
def home():
    return redirect(url_for("console.queue"))


@bp.get("/queue", endpoint="queue")
@login_required
def queue_page():
    actor = current_actor()
    session = db()
    form = _filter_form(session, actor)
    form.validate()
    problems = [f"{form[name].label.text} {request.args.get(name, '')!r}: {' '.join(errs)}"
                for name, errs in form.errors.items()]
    page = counts = None
    if not problems:
        filters, sort = _to_filter(form)
        try:
            page = queue.list_incidents(session, actor, filters, sort=sort, limit=form.limit.data or PAGE_SIZE,
                                        cursor=form.cursor.data or None)
        except BadRequest as exc:  # a tampered or stale cursor
            problems.append(f"Paging: {exc.detail}. Start again from the first page.")
        else:
            counts = queue.bounded_status_counts(session, actor, filters)
    return render_template(
        "console/queue.html",
        form=form,
        page=page,
        counts=_shown_counts(counts) if counts else None,
        deadlines=clocks.next_open(session, actor, [i.id for i in page.items]) if page else {},
        problems=problems,
        queue_url=_queue_url,
        statuses=[s.value for s in Status],
    ), 400 if problems else 200


def _shown_counts(counts: dict[str, int]) -> dict[str, str]:
    """Tab labels from bounded counts: each status, "open" and "all"; a sum with a capped
    status in it is a lower bound, written "N+"."""
    def label(statuses) -> str:
        capped = any(counts[s] > queue.COUNT_CAP for s in statuses)
        return f"{sum(min(counts[s], queue.COUNT_CAP) for s in statuses)}{'+' if capped else ''}"
    return {"all": label(list(Status)), "open": label(OPEN_STATUSES), **{s.value: label([s]) for s in Status}}


def _filter_form(session, actor) -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    form.sector.choices = options(("", "any"), *((s.slug, s.name) for s in directory.sectors(session)))
    form.category.choices = [*options(("", "any")), *category_choices(whole_classes=True)]
    staff = [(u.id, u.email) for u in directory.national_staff(session)] if actor.is_national else []
    form.assignee.choices = options(("", "anyone"), ("me", "me"), ("none", "unassigned"), *staff)
    desks = [("mine", "my teams"), ("none", "no team"), *((t.slug, t.name) for t in teams.teams(session))]
    form.team.choices = options(("", "any"), *(desks if actor.is_national else ()))
    return form


def _to_filter(form: QueueFilterForm) -> tuple[queue.QueueFilter, str]:
    status = form.status.data
    filters = queue.QueueFilter(
        status=OPEN_STATUSES if status == "open" else ((Status(status),) if status else ()),
        sector=(form.sector.data,) if form.sector.data else (),
        severity=(int(form.severity.data),) if form.severity.data else (),
        category=form.category.data or None,
        tlp=(TLP(form.tlp.data),) if form.tlp.data else (),
        assignee=form.assignee.data or None,
        team=form.team.data or None,
        q=form.q.data or None,
    )
    sort = QUEUE_SORTS[form.sort.data]
    return filters, ("-" if form.order.data == "desc" else "") + sort


def _queue_url(**changes) -> str:
    """This queue URL with ``changes`` applied (None drops a parameter); paging restarts
    unless a cursor is given, and empty parameters are left out."""
    args = {k: v for k, v in request.args.items() if v and k != "cursor"}
    args.update(changes)
    return url_for("console.queue", **{k: v for k, v in args.items() if v not in (None, "")})
