"""The risk register: the list with its filters and heat maps (``/risks``), a
risk with its assessment, treatment, history and evidence (``/risks/<ref>``),
and the operators' forms. Who reads which risk is ``ncert.access``'s (through
``ncert.services.risks``): a risk the viewer may not read is a 404; what
incidents say about a risk (evidence, drift, links) is shown to national staff."""

from __future__ import annotations

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ncert import charts, i18n
from ncert.access import sees_risk_signals
from ncert.console import risk_forms
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, return_to
from ncert.console.forms import options
from ncert.console.reports import header_keys
from ncert.db import utcnow
from ncert.errors import BadRequest
from ncert.i18n import N_
from ncert.reports import csv_export
from ncert.services import directory, risk_evidence, risk_heatmap, risk_links, risk_matrix, risk_reviews, risks, teams
from ncert.services.risk_records import STATUSES, RiskInput, RiskPatch
from ncert.web.session import db

FILTERS = ("sector", "owner", "status")


def _filters() -> dict[str, str | None]:
    return {name: request.args.get(name, "").strip() or None for name in FILTERS}


def _cell() -> tuple[str, int, int] | None:
    """``?map=current&l=3&i=4``: the heat-map cell whose risks are listed."""
    kind, li, im = (request.args.get(name, "") for name in ("map", "l", "i"))
    if not kind:
        return None
    if kind not in risk_heatmap.KINDS or not (li.isdigit() and im.isdigit()) or not (
            1 <= int(li) <= risk_matrix.SIZE and 1 <= int(im) <= risk_matrix.SIZE):
        raise BadRequest(N_("a heat-map cell is map=current|residual&l=1..%(size)s&i=1..%(size)s"),
                         size=risk_matrix.SIZE)
    return kind, int(li), int(im)


@bp.get("/risks")
@login_required
def risk_register():
    actor, session = current_actor(), db()
    filters, cell = _filters(), _cell()
    if filters["status"] and filters["status"] not in STATUSES:
        raise BadRequest(N_("status: one of %(expected)s"), expected=', '.join(STATUSES))
    everything = risks.list_risks(session, actor)
    listed = (risk_heatmap.cell_risks(session, actor, *cell, **filters) if cell
              else risks.list_risks(session, actor, **filters))
    maps = [_heat_map(risk_heatmap.heatmap(session, actor, kind, **filters), filters) for kind in risk_heatmap.KINDS]
    today = utcnow().date()
    owners = sorted({(slug, name) for r in everything for slug, name in _owners(r)})
    return render_template(
        "console/risks.html", risks=listed, maps=maps, filters=filters, cell=cell,
        wanted={k: v for k, v in filters.items() if v},
        sectors=directory.sectors(session), owners=owners, statuses=STATUSES,
        review_states={r.reference: risk_reviews.review_state(r, today) for r in listed},
        signals=sees_risk_signals(actor), can_write=actor.can_triage)


def _owners(risk) -> list[tuple[str, str]]:
    return [(o.slug, o.name) for o in (risk.owner_org, risk.owner_team) if o is not None]


def _heat_map(found: risk_heatmap.HeatMap, filters: dict) -> charts.Chart:
    wanted = {k: v for k, v in filters.items() if v}
    unscored = (" " + gettext("%(n)s risks of the selection are not assessed yet.", n=found.unscored)
                if found.unscored else "")
    current = found.kind == "current"
    return charts.heat_map(
        f"heatmap-{found.kind}", gettext("Current risk heat map") if current else gettext("Residual risk heat map"),
        (gettext("How many risks sit in each cell of the %(size)s×%(size)s matrix by their current likelihood "
                 "and impact.", size=risk_matrix.SIZE) if current else
         gettext("How many risks sit in each cell of the %(size)s×%(size)s matrix by their residual likelihood "
                 "and impact.", size=risk_matrix.SIZE)) + unscored, found.matrix, found.counts,
        link=lambda li, im: url_for("console.risk_register", map=found.kind, l=li, i=im, **wanted) + "#listed")


@bp.get("/risks.csv")
@login_required
def risk_register_csv():
    keys = header_keys()
    body = csv_export.register(risks.list_risks(db(), current_actor(), **_filters()), keys=keys)
    return Response(body, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="risk-register.csv"'})


@bp.get("/risks/<reference>")
@login_required
def risk(reference: str):
    actor, session = current_actor(), db()
    found = risks.get(session, actor, reference)
    if found.reference != reference:
        return redirect(url_for("console.risk", reference=found.reference))
    versions = risks.history(session, actor, found.reference)
    compare = _compare(versions)
    context = {}
    if sees_risk_signals(actor):
        evidence = risk_evidence.evidence(session, actor, found)
        context = {"evidence": evidence, "linked": risk_links.incidents_of(session, actor, found),
                   "trend": charts.line_chart("evidence-trend", gettext("Matching incidents per month"),
                                              gettext("Incidents matching %(reference)s in each of the last three "
                                                      "months.", reference=found.reference),
                                              [m for m, _ in evidence.trend],
                                              [(gettext("matching incidents"), [n for _, n in evidence.trend])],
                                              width=460, height=200)}
    if actor.can_triage:
        context |= _forms(found)
    return render_template("console/risk.html", risk=found, versions=versions, compare=compare,
                           review_state=risk_reviews.review_state(found, utcnow().date()),
                           matrix=risk_matrix.current(session), **context)


def _compare(versions) -> dict | None:
    """``?from=N&to=M``: the changes between two versions (by default none are compared)."""
    older, newer = request.args.get("from", ""), request.args.get("to", "")
    if not (older or newer):
        return None
    if not (older.isdigit() and newer.isdigit()):
        raise BadRequest(N_("compare: from and to are version numbers"))
    return {"from": int(older), "to": int(newer), "changes": risks.compare(versions, int(older), int(newer))}


def _forms(risk) -> dict:
    snap = risks.snapshot(risk)
    edit = _risk_form(data={
        "title": risk.title, "scenario": risk.scenario, "owner_org": snap["owner"]["org"] or "",
        "owner_team": snap["owner"]["team"] or "", "owner_person": risk.owner_person,
        "owner_email": risk.owner_email, "shared_with_owner": risk.shared_with_owner, "sectors": list(risk.sectors),
        "threat": "\n".join(risk.threat.get("rsit", [])), "attack": ", ".join(risk.threat.get("attack", [])),
        "status": risk.status, "review_frequency_days": risk.review_frequency_days,
        "next_review_on": risk.next_review_on}, prefix="edit")
    assessed = risk.assessment or {}
    assess = risk_forms.AssessmentForm(prefix="assess", data={
        f"{level}_{part}": str(assessed[level][part]) if part != "rationale" else assessed[level][part]
        for level in risk_forms.LEVELS if level in assessed for part in ("likelihood", "impact", "rationale")})
    treatment = risk.treatment or {}
    acceptance = treatment.get("acceptance") or {}
    treat = risk_forms.TreatmentForm(prefix="treat", data={
        "strategy": treatment.get("strategy", "mitigate"), "actions": risk_forms.action_lines(treatment),
        "approver": acceptance.get("approver", ""),
        "expires_on": date.fromisoformat(acceptance["expires_on"]) if acceptance else None})
    return {"edit_form": edit, "assess_form": assess, "treat_form": treat}


def _risk_form(**kwargs) -> risk_forms.RiskForm:
    session = db()
    form = risk_forms.RiskForm(**kwargs)
    form.owner_org.choices = options(("", "—"), *((o.slug, o.name) for o in directory.organizations(session)))
    form.owner_team.choices = options(("", "—"), *((t.slug, t.name) for t in teams.teams(session)))
    form.sectors.choices = options(*((s.slug, i18n.sector_name(s)) for s in directory.sectors(session)))
    return form


@bp.route("/risks/new", methods=["GET", "POST"])
@login_required
def new_risk():
    risks.require_writer(current_actor())
    form = _risk_form(prefix="risk", data={"status": "draft"})
    if form.validate_on_submit():
        return_to(url_for("console.new_risk"))
        fields = {k: v for k, v in form.fields().items() if v is not None}
        created = risks.create(db(), current_actor(), risk_forms.validated(RiskInput, fields))
        flash(gettext("%(reference)s is in the register.", reference=created.reference), "success")
        return redirect(url_for("console.risk", reference=created.reference))
    return render_template("console/risk_new.html", form=form)


def _action(reference: str, form, fields, message: str):
    """Validate ``form``, apply ``fields()`` as a patch to the risk, and go back to its page."""
    actor = current_actor()
    found = risks.get(db(), actor, reference)  # 404 first: a hidden risk stays hidden
    risks.require_writer(actor)
    back = return_to(url_for("console.risk", reference=found.reference))
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{form[field].label.text if field in form else field}: {'; '.join(map(str, errors))}", "error")
        return redirect(back)
    changed = risks.update(db(), actor, found.reference, risk_forms.validated(RiskPatch, fields()))
    flash(str(message) % {"version": changed.version}, "success")
    return redirect(back)


@bp.post("/risks/<reference>/edit")
@login_required
def edit_risk(reference: str):
    form = _risk_form(prefix="edit")
    return _action(reference, form, lambda: {k: v for k, v in form.fields().items() if v is not None},
                   _l("Saved: version %(version)s."))


@bp.post("/risks/<reference>/assess")
@login_required
def assess_risk(reference: str):
    form = risk_forms.AssessmentForm(prefix="assess")
    return _action(reference, form, form.fields, _l("Assessment recorded: version %(version)s."))


@bp.post("/risks/<reference>/treat")
@login_required
def treat_risk(reference: str):
    form = risk_forms.TreatmentForm(prefix="treat")
    return _action(reference, form, form.fields, _l("Treatment recorded: version %(version)s."))
