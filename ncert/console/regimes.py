"""Administration of reporting regimes (admin role only): every regime with its
stages, a one-stage-per-line editor for stored regimes, and the regime each
sector reports under. Validation is ``ncert.services.regimes``'s; its errors
are shown next to the field they name, with the text kept for correction."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from markupsafe import escape
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ncert import clocks, i18n
from ncert.console import forms
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, current_admin, return_to
from ncert.console.forms import FlaskForm
from ncert.errors import Conflict, Invalid
from ncert.services import regimes
from ncert.web.session import db

STAGES_EXAMPLE = "initial-report 4 hours after awareness warn 1 hours\nfinal-report 1 months after previous warn 5 days"


class RegimeForm(FlaskForm):
    name = StringField(_l("Name"), [DataRequired(), Length(max=regimes.MAX_NAME), forms.SLUG], **forms.TEXT)
    title = StringField(_l("Title"), [DataRequired(), Length(max=regimes.MAX_TITLE)], **forms.TEXT)
    repeat = BooleanField(_l("The last stage repeats each time it is received"))
    stages = TextAreaField(_l("Stages"), [DataRequired(), Length(max=5000)],
                           # a lazy text is HTML as it is (Flask-Babel's __html__), so the syntax's <…> go in escaped
                           description=_l("One stage per line: %(syntax)s", syntax=escape(regimes.STAGE_SYNTAX)),
                           **forms.TEXT)


class AssignForm(FlaskForm):
    sector = HiddenField(_l("Sector"), [DataRequired(), Length(max=64)], **forms.TEXT)
    regime = SelectField(_l("Regime"), choices=[])


def _save(form: RegimeForm, *, new: bool) -> bool:
    """Store the regime; on refusal put the service's message on the field it names."""
    try:
        stages = regimes.parse_stages(form.stages.data)
        regimes.save(db(), current_actor(), name=form.name.data, title=form.title.data, repeat=form.repeat.data,
                     stages=stages, new=new)
    except (Invalid, Conflict) as exc:
        for item in getattr(exc, "errors", None) or [{"field": "name", "message": exc.localized()}]:
            target = item["field"].split("[")[0].split(" ")[0]
            field = form[target] if target in form else form.name
            field.errors = [*field.errors, f"{item['field']}: {item['message']}" if target == "stages"
                            else item["message"]]
        return False
    return True


def _page(form: RegimeForm, status: int = 200):
    session = db()
    regs = regimes.registry(session)
    assign = AssignForm(prefix="assign")
    assign.regime.choices = forms.options(("", gettext("default (%(name)s)", name=clocks.DEFAULT_REGIME)),
                                          *((name, f"{name} · {i18n.regime_label(r)}")
                                            for name, r in sorted(regs.items())))
    listed = [(r, regimes.is_built_in(name), regimes.format_stages(r)) for name, r in sorted(regs.items())]
    return render_template("console/admin/regimes.html", form=form, regimes=listed, assign=assign,
                           sectors=regimes.sector_table(session), example=STAGES_EXAMPLE), status


@bp.route("/admin/regimes", methods=["GET", "POST"])
@login_required
def admin_regimes():
    current_admin()
    form = RegimeForm(prefix="regime")
    if form.validate_on_submit():
        if _save(form, new=True):
            flash(gettext("Regime %(name)s added.", name=form.name.data), "success")
            return redirect(url_for("console.admin_regimes"))
    return _page(form, 422 if form.errors else 200)


@bp.route("/admin/regimes/<name>", methods=["GET", "POST"])
@login_required
def admin_regime_edit(name: str):
    current_admin()
    row = regimes.get_stored(db(), name)  # 404 for a built-in or unknown name
    form = RegimeForm(prefix="regime", data={"name": row.name, "title": row.title, "repeat": row.repeat,
                                             "stages": regimes.format_stages(regimes.to_regime(row))})
    form.name.render_kw = {"readonly": True}
    if form.validate_on_submit():
        form.name.data = name  # the name is the key: renaming would orphan running deadlines
        if _save(form, new=False):
            flash(gettext("Regime %(name)s saved.", name=name), "success")
            return redirect(url_for("console.admin_regimes"))
    return render_template("console/admin/regime_edit.html", form=form, name=name), 422 if form.errors else 200


@bp.post("/admin/regimes/assign")
@login_required
def admin_regime_assign():
    actor = current_admin()
    return_to(url_for("console.admin_regimes"))
    form = AssignForm(prefix="assign")
    form.regime.choices = forms.options(("", _l("default")), *((n, n) for n in regimes.registry(db())))
    if not form.validate_on_submit():
        flash("; ".join(f"{form[f].label.text}: {', '.join(map(str, e))}" for f, e in form.errors.items()), "error")
        return redirect(url_for("console.admin_regimes"))
    regimes.assign(db(), actor, form.sector.data, form.regime.data or None)
    flash(gettext("Sector %(sector)s now reports under %(regime)s.", sector=form.sector.data,
                  regime=regimes.regime_for(db(), form.sector.data).name), "success")
    return redirect(url_for("console.admin_regimes"))
