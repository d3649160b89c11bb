"""Admin page of the trained models (``detection.modelstore``): every version with its
metrics and training time, the confusion matrix of each active categoriser, and the admin's
promote and rollback buttons (``ncert models promote|rollback`` from the browser)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import login_required

from detection import modelstore
from ncert.console import forms
from ncert.console.blueprint import bp
from ncert.console.context import current_admin
from ncert.errors import Invalid
from ncert.i18n import N_
from ncert.web.session import db


@bp.get("/admin/models")
@login_required
def admin_models():
    current_admin()
    rows = modelstore.versions(db())
    active = [r for r in rows if r.status == modelstore.ACTIVE and "confusion" in r.metrics]
    return render_template("console/admin/models.html", rows=rows, active=active, button=forms.ButtonForm())


@bp.post("/admin/models/<name>/<int:version>/promote")
@login_required
def admin_model_promote(name: str, version: int):
    actor = current_admin()
    if not forms.ButtonForm().validate_on_submit():
        raise Invalid(N_("the form expired; reload the page and try again"))
    row = modelstore.promote(db(), modelstore.version_row(db(), name, version), actor.label)
    flash(gettext("%(name)s v%(version)s is active.", name=row.name, version=row.version), "success")
    return redirect(url_for("console.admin_models"))


@bp.post("/admin/models/<name>/rollback")
@login_required
def admin_model_rollback(name: str):
    actor = current_admin()
    if not forms.ButtonForm().validate_on_submit():
        raise Invalid(N_("the form expired; reload the page and try again"))
    row = modelstore.rollback(db(), name, actor.label)
    flash(gettext("%(name)s v%(version)s is active again.", name=row.name, version=row.version), "success")
    return redirect(url_for("console.admin_models"))
