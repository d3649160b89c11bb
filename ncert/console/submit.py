"""Reporting an incident from the console: the form becomes an ``IncidentRecord``
and goes through the same ``incidents.submit`` as every other intake path.

Indicators come as lines (a bare value, or a type and a value) and from pasted
free text in two steps that need no JavaScript: "Find indicators" posts the
form, which comes back with the indicators ``ncert.ioc_extract`` found as
checkboxes (ticked, but for values on a MISP warninglist); "Submit" files the
ticked ones with the rest."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from pydantic import ValidationError

from ncert import i18n
from ncert.console.blueprint import bp
from ncert.console.context import can_submit, current_actor
from ncert.console.forms import SubmitForm, options
from ncert.errors import Forbidden, NcertError
from ncert.i18n import N_
from ncert.ioc_extract import extract
from ncert.models import Organization
from ncert.observables import INDICATOR_TYPES, guess
from ncert.records import IncidentRecord, IndicatorRecord
from ncert.services import directory, incidents
from ncert.web.session import db, rollback

CHANNEL = "console"


@bp.route("/submit", methods=["GET", "POST"])
@login_required
def submit():
    actor, session = current_actor(), db()
    if not can_submit(actor):
        raise Forbidden(N_("leadership accounts review; they do not submit incidents"))
    own = session.get(Organization, actor.org_id)
    form = SubmitForm()
    sectors = [(s.slug, i18n.sector_name(s)) for s in directory.sectors(session)]
    form.affected_sectors.choices = options(*sectors)
    # An organisation reports for its own sector; national staff, and an organisation
    # without one (an international partner), name it (``incidents.submit`` decides).
    mine = [(own.sector.slug, i18n.sector_name(own.sector))] if own.sector and not actor.is_national else sectors
    form.sector.choices = options(("", _l("the reporting organisation's own")), *mine)
    if actor.is_national:
        orgs = directory.organizations(session)
        form.reporter_org.choices = options(*((o.slug, f"{o.name} ({o.slug})") for o in orgs))
        if not form.is_submitted():
            form.reporter_org.data = own.slug
    else:  # analysts always report as their own organisation
        form.reporter_org.choices = options((own.slug, own.name))
        form.reporter_org.data = own.slug
    if form.is_submitted() and form.pasted.data:
        try:
            _offer(form, extract(form.pasted.data), review="extract" in request.form)
        except NcertError as exc:
            form.pasted.errors = [exc.localized()]
    if "extract" in request.form:  # step one: nothing is filed; the form comes back to review
        return render_template("console/submit.html", form=form), 200
    if form.validate_on_submit():
        picked = "\n".join(form.found.data or ())
        indicators, line_errors = parse_indicators(form.indicators.data + "\n" + picked)
        form.indicators.errors.extend(line_errors)
        if not line_errors:
            try:
                record = _record(form, indicators)
            except ValidationError as exc:
                form.form_errors.extend(_pydantic_messages(exc))
            else:
                try:
                    submission = incidents.submit(session, actor, record, channel=CHANNEL)
                except NcertError as exc:
                    rollback()
                    form.form_errors.append(exc.localized())
                    return render_template("console/submit.html", form=form), exc.status
                ref = submission.incident.reference
                flash(gettext("%(reference)s submitted to the national queue.", reference=ref), "success")
                return redirect(url_for("console.incident", reference=ref))
    status = 422 if form.is_submitted() else 200
    return render_template("console/submit.html", form=form), status


def _offer(form: SubmitForm, found, *, review: bool) -> None:
    """The found indicators as checkboxes; on the review step all are ticked but warninglisted ones."""
    form.found.choices = [(f"{f.type} {f.value}", f"{f.type} {f.value}" + (
        f" (on warninglist {', '.join(f.warninglists)})" if f.warninglists else "")) for f in found]
    if review:
        form.found.data = [f"{f.type} {f.value}" for f in found if not f.warninglists]


def parse_indicators(text: str) -> tuple[list[IndicatorRecord], list[str]]:
    """Lines of ``type value``, or of a bare value whose type is recognised (``observables.guess``,
    refanging ``hxxp``, ``[.]`` and the like); blank lines and ``#`` comments are skipped.

    Returns the records and one message per wrong line, naming the line.
    """
    records, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, value = line.partition(" ")
        if kind not in INDICATOR_TYPES:
            guessed = guess(line)
            if guessed is None:
                errors.append(f"line {number} ({line[:80]}): unknown indicator type {kind!r}, and the line is "
                              f"not one value of a known type; expected one of {', '.join(INDICATOR_TYPES)}")
                continue
            kind, value = guessed
        try:
            records.append(IndicatorRecord(type=kind, value=value.strip()))
        except ValidationError as exc:
            errors.append(f"line {number} ({line[:80]}): {'; '.join(_pydantic_messages(exc))}")
    return records, errors


def _record(form: SubmitForm, indicators: list[IndicatorRecord]) -> IncidentRecord:
    return IncidentRecord(
        title=form.title.data,
        description=form.description.data,
        category=form.category.data or None,
        severity=int(form.severity.data) if form.severity.data else None,
        tlp=form.tlp.data,
        sector=form.sector.data or None,
        affected_sectors=form.affected_sectors.data or [],
        reporter_org=form.reporter_org.data,
        occurred_at=_utc(form.occurred_at.data),
        aware_at=_utc(form.aware_at.data),
        indicators=indicators,
    )


def _utc(value: datetime | None) -> datetime | None:
    """The form's times are entered in UTC, as the labels say."""
    return value.replace(tzinfo=timezone.utc) if value else None


def _pydantic_messages(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if p != "__root__")
        message = err["msg"].removeprefix("Value error, ")
        out.append(f"{where}: {message}" if where else message)
    return out
