"""The triage queue: filters and sorting from the query string, keyset paging,
and per-status counts as tabs (exact when the status totals answer them, else bounded: a tab over
``queue.COUNT_CAP`` then shows "1000+")."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ncert import i18n
from ncert.access import severity_of, updated_of
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, return_to
from ncert.console.forms import (
    QUEUE_SORTS,
    BulkForm,
    QueueFilterForm,
    SavedFilterForm,
    category_choices,
    options,
)
from ncert.errors import BadRequest, Invalid
from ncert.i18n import N_
from ncert.records import IncidentPatch
from ncert.services import bulk_triage, clocks, directory, queue, saved_filters, teams
from ncert.services.trends import reported_range
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
            problems.append(gettext("Paging: %(detail)s. Start again from the first page.", detail=exc.localized()))
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
        bulk=_bulk_form(session) if actor.can_triage and page else None,
        saved=saved_filters.of_user(session, actor),
        save_form=SavedFilterForm(prefix="saved", data={"query": request.query_string.decode()}),
    ), 400 if problems else 200


def _shown_counts(counts: queue.StatusCounts) -> dict[str, str]:
    """Tab labels: each status, "open" and "all"; a sum of bounded counts with a capped status in
    it is a lower bound, written "N+"."""
    def label(statuses) -> str:
        if counts.bound is None:
            return f"{sum(counts.counts[s] for s in statuses):,}"
        capped = any(counts.counts[s] > counts.bound for s in statuses)
        return f"{sum(min(counts.counts[s], counts.bound) for s in statuses):,}{'+' if capped else ''}"
    return {"all": label(list(Status)), "open": label(OPEN_STATUSES), **{s.value: label([s]) for s in Status}}


def _filter_form(session, actor) -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    form.sector.choices = options(("", _l("any")), *((s.slug, i18n.sector_name(s)) for s in directory.sectors(session)))
    form.category.choices = [*options(("", _l("any"))), *category_choices(whole_classes=True)]
    staff = [(u.id, u.email) for u in directory.national_staff(session)] if actor.is_national else []
    form.assignee.choices = options(("", _l("anyone")), ("me", _l("me")), ("none", _l("unassigned")), *staff)
    desks = [("mine", _l("my teams")), ("none", _l("no team")), *((t.slug, t.name) for t in teams.teams(session))]
    form.team.choices = options(("", _l("any")), *(desks if actor.is_national else ()))
    return form


def _to_filter(form: QueueFilterForm) -> tuple[queue.QueueFilter, str]:
    tabs, status = {"open": OPEN_STATUSES, "all": ()}, form.status.data
    filters = queue.QueueFilter(
        status=tabs[status] if status in tabs else (Status(status),),
        sector=(form.sector.data,) if form.sector.data else (),
        severity=(int(form.severity.data),) if form.severity.data else (),
        category=form.category.data or None,
        tlp=(TLP(form.tlp.data),) if form.tlp.data else (),
        assignee=form.assignee.data or None,
        team=form.team.data or None,
        q=form.q.data or None,
        reported_after=reported_range(form.since.data, form.since.data)[0] if form.since.data else None,
        reported_before=reported_range(form.until.data, form.until.data)[1] if form.until.data else None,
    )
    sort = QUEUE_SORTS[form.sort.data]
    return filters, ("-" if form.order.data == "desc" else "") + sort


def _queue_url(**changes) -> str:
    """This queue URL with ``changes`` applied (None drops a parameter); paging restarts
    unless a cursor is given, and empty parameters are left out."""
    args = {k: v for k, v in request.args.items() if v and k != "cursor"}
    args.update(changes)
    return url_for("console.queue", **{k: v for k, v in args.items() if v not in (None, "")})


def _bulk_form(session) -> BulkForm:
    form = BulkForm(prefix="bulk")
    staff = [(u.email, u.email) for u in directory.national_staff(session)]
    form.assignee.choices = options(("", _l("unchanged")), ("none", _l("unassign")), *staff)
    desks = ((t.slug, t.name) for t in teams.teams(session))
    form.team.choices = options(("", _l("unchanged")), ("none", _l("no team")), *desks)
    return form


@bp.post("/queue/bulk")
@login_required
def bulk_change():
    """One change to the ticked incidents: merge them into one, or set assignee, team and status."""
    session, actor = db(), current_actor()
    form = _bulk_form(session)
    back = return_to(form.back.data if (form.back.data or "").startswith("/queue") else url_for("console.queue"))
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{form[field].label.text}: {'; '.join(map(str, errors))}", "error")
        return redirect(back)
    refs, reason = form.ref.data, form.reason.data
    if form.into.data:
        if form.assignee.data or form.team.data or form.status.data:
            raise Invalid(N_("merge on its own: leave assignee, team and status unchanged"))
        changed = bulk_triage.merge(session, actor, refs, form.into.data, reason)
        flash(gettext("Merged %(n)s incident(s) into %(into)s: %(refs)s.", n=len(changed), into=form.into.data.upper(),
                      refs=", ".join(changed)), "success")
        return redirect(back)
    fields = {name: (None if value == "none" else value) for name in ("assignee", "team", "status")
              if (value := form[name].data)}
    if not fields:
        raise Invalid(N_("choose an assignee, a team, a status or an incident to merge into"))
    changed = bulk_triage.apply(session, actor, refs, IncidentPatch(**fields, reason=reason))
    flash(gettext("Changed %(n)s of %(total)s incident(s): %(refs)s.", n=len(changed), total=len(refs),
                  refs=", ".join(changed)) if changed
          else gettext("Changed %(n)s of %(total)s incident(s).", n=0, total=len(refs)), "success")
    return redirect(back)


@bp.post("/queue/filters")
@login_required
def save_filter():
    form = SavedFilterForm(prefix="saved")
    back = return_to(url_for("console.queue") + (f"?{form.query.data}" if form.query.data else ""))
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{form[field].label.text}: {'; '.join(map(str, errors))}", "error")
        return redirect(back)
    saved = saved_filters.save(db(), current_actor(), form.name.data, form.query.data or "")
    flash(gettext("Saved the filters as %(name)s.", name=repr(saved.name)), "success")
    return redirect(back)


@bp.post("/queue/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int):
    return_to(url_for("console.queue"))
    saved = saved_filters.delete(db(), current_actor(), filter_id)
    flash(gettext("Deleted the saved filter %(name)s.", name=repr(saved.name)), "success")
    return redirect(url_for("console.queue"))
