"""STIX objects: the latest versions the user may read over TAXII, searched through
``ncert.search.search_stix`` (whichever backend is configured) by name and pattern words, type,
collection and modified days, paged with the search cursor; each links to its JSON
(``ncert.services.stix_objects``)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import Response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.console.forms import StixFilterForm, options
from ncert.errors import BadRequest
from ncert.search import StixQuery, search_stix
from ncert.search.stix import readable
from ncert.services import stix_objects
from ncert.web.session import db

PAGE_SIZE = 50


@bp.get("/stix", endpoint="stix_objects")
@login_required
def search():
    session, actor = db(), current_actor()
    form = StixFilterForm(request.args)
    form.collection.choices = options(("", _l("any")), *((c.alias, c.title) for c in readable(session, actor, None)))
    if not form.validate():
        raise BadRequest("; ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}"
                                   for name, errors in form.errors.items()))
    day = form.until.data
    result = search_stix(session, actor, StixQuery(
        text=form.q.data or None, type=(form.type.data,) if form.type.data else (),
        collection=form.collection.data or None,
        modified_after=datetime.combine(form.since.data, time(), timezone.utc) if form.since.data else None,
        modified_before=(datetime.combine(day + timedelta(days=1), time(), timezone.utc) - timedelta(microseconds=1)
                         if day else None),
        sort=form.sort.data, limit=form.limit.data or PAGE_SIZE, cursor=form.cursor.data or None,
        aggregations=("type", "collection")))
    found = stix_objects.rows(session, result.ids)
    return render_template("console/stix.html", form=form, result=result,
                           rows=[found[i] for i in result.ids if i in found], page_url=_page_url)


def _page_url(**changes) -> str:
    """This search with ``changes`` (None drops a parameter); paging restarts unless a cursor is given."""
    args = {k: v for k, v in request.args.items() if v and k != "cursor"}
    args.update(changes)
    return url_for("console.stix_objects", **{k: v for k, v in args.items() if v not in (None, "")})


@bp.get("/stix/objects/<int:row_id>", endpoint="stix_object_json")
@login_required
def object_json(row_id: int):
    return Response(stix_objects.body(db(), current_actor(), row_id), mimetype="application/json")
