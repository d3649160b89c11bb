"""Administration: organisations, users and API keys (admin role only), and the
audit log (admins and leadership, as the audit service decides).

Every view asks the directory service to confirm the admin role first, so a
non-admin gets a 403 page, GET or POST alike. A new API key's secret is shown
once, on the response to the POST that created it, and never stored.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from ncert import i18n
from ncert.console import forms
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, current_admin, return_to
from ncert.services import audit, directory
from ncert.taxonomy import Role
from ncert.web.session import db


def _org_choices(session) -> list[forms.SelectChoice]:
    return forms.options(*((o.slug, f"{o.name} ({o.slug})") for o in directory.organizations(session)))


# -- organisations ------------------------------------------------------------------


def _organization_form(session) -> forms.OrganizationForm:
    form = forms.OrganizationForm(prefix="org")
    form.sector.choices = forms.options(("", "—"), *((s.slug, i18n.sector_name(s)) for s in directory.sectors(session)))
    return form


@bp.route("/admin/organizations", methods=["GET", "POST"])
@login_required
def admin_organizations():
    actor, session = current_admin(), db()
    form = _organization_form(session)
    if form.validate_on_submit():
        return_to(url_for("console.admin_organizations"))
        org = directory.add_organization(
            session, actor, slug=form.slug.data, name=form.name.data, kind=form.kind.data,
            sector=form.sector.data or None, country=form.country.data.upper(),
            nis2_entity=form.nis2_entity.data or None, contact_email=form.contact_email.data,
        )
        flash(gettext("Organisation %(org)s added.", org=org.slug), "success")
        return redirect(url_for("console.admin_organizations"))
    return render_template("console/admin/organizations.html", form=form,
                           organizations=directory.organizations(session)), 422 if form.errors else 200


@bp.route("/admin/organizations/<slug>", methods=["GET", "POST"])
@login_required
def admin_organization_edit(slug: str):
    actor, session = current_admin(), db()
    org = directory.org_by_slug(session, slug)
    form = forms.OrganizationEditForm(prefix="org", obj=org if request.method == "GET" else None)
    if form.validate_on_submit():
        return_to(url_for("console.admin_organization_edit", slug=slug))
        directory.update_organization(session, actor, slug, name=form.name.data, country=form.country.data.upper(),
                                      nis2_entity=form.nis2_entity.data or None,
                                      contact_email=form.contact_email.data, active=form.active.data)
        flash(gettext("Organisation %(org)s saved.", org=slug) if form.active.data else
              gettext("Organisation %(org)s saved (deactivated: its users cannot sign in).", org=slug), "success")
        return redirect(url_for("console.admin_organizations"))
    return render_template("console/admin/organization_edit.html", form=form, org=org), 422 if form.errors else 200


# -- users ------------------------------------------------------------------------------


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def admin_users():
    actor, session = current_admin(), db()
    form = forms.UserForm(prefix="user")
    form.org.choices = _org_choices(session)
    if form.validate_on_submit():
        return_to(url_for("console.admin_users"))
        user = directory.add_user(session, actor, email=form.email.data, name=form.name.data,
                                  role=form.role.data, org=form.org.data, password=form.password.data)
        flash(gettext("User %(email)s added.", email=user.email), "success")
        return redirect(url_for("console.admin_users"))
    return render_template("console/admin/users.html", form=form, users=directory.users(session, actor),
                           button=forms.ButtonForm(), roles=[r.value for r in Role]), 422 if form.errors else 200


@bp.post("/admin/users/<int:user_id>/activate", defaults={"active": True})
@bp.post("/admin/users/<int:user_id>/deactivate", defaults={"active": False}, endpoint="admin_user_deactivate")
@login_required
def admin_user_activate(user_id: int, active: bool):
    actor = current_admin()
    return_to(url_for("console.admin_users"))
    user = directory.set_user_active(db(), actor, user_id, active)
    flash(gettext("%(email)s activated.", email=user.email) if active
          else gettext("%(email)s deactivated.", email=user.email), "success")
    return redirect(url_for("console.admin_users"))


@bp.post("/admin/users/<int:user_id>/role")
@login_required
def admin_user_role(user_id: int):
    actor = current_admin()
    return_to(url_for("console.admin_users"))
    user = directory.set_user_role(db(), actor, user_id, request.form.get("role", ""))
    flash(gettext("%(email)s is now %(role)s.", email=user.email, role=user.role), "success")
    return redirect(url_for("console.admin_users"))


@bp.post("/admin/users/<int:user_id>/password")
@login_required
def admin_user_password(user_id: int):
    actor = current_admin()
    return_to(url_for("console.admin_users"))
    user = directory.reset_password(db(), actor, user_id, request.form.get("password", ""))
    flash(gettext("New password set for %(email)s; hand it over out of band.", email=user.email), "success")
    return redirect(url_for("console.admin_users"))


# -- API keys --------------------------------------------------------------------------


@bp.route("/admin/api-keys", methods=["GET", "POST"])
@login_required
def admin_api_keys():
    actor, session = current_admin(), db()
    form = forms.ApiKeyForm(prefix="key")
    form.org.choices = _org_choices(session)
    if form.validate_on_submit():
        return_to(url_for("console.admin_api_keys"))
        key, secret = directory.create_api_key(session, actor, org=form.org.data, role=form.role.data,
                                               name=form.name.data)
        return render_template("console/admin/api_key_created.html", key=key, secret=secret)
    return render_template("console/admin/api_keys.html", form=form, keys=directory.api_keys(session, actor),
                           button=forms.ButtonForm()), 422 if form.errors else 200


@bp.post("/admin/api-keys/<prefix>/revoke")
@login_required
def admin_api_key_revoke(prefix: str):
    actor = current_admin()
    return_to(url_for("console.admin_api_keys"))
    key = directory.revoke_api_key(db(), actor, prefix)
    flash(gettext("API key %(prefix)s revoked.", prefix=key.prefix), "success")
    return redirect(url_for("console.admin_api_keys"))


# -- audit log ---------------------------------------------------------------------------


@bp.get("/admin/audit")
@login_required
def admin_audit():
    """The audit log, newest first, filtered; "Next page" continues before the last event shown."""
    actor, session = current_actor(), db()
    form = forms.AuditFilterForm(request.args)
    if not form.validate():
        return render_template("console/admin/audit.html", form=form, events=[], next_url=None), 400
    query = audit.AuditFilter(
        actor=form.actor.data or "", action=form.action.data or "", object_type=form.object_type.data or "",
        object_id=form.object_id.data or "", interface=form.interface.data or "",
        since=_day_start(form.since.data), before=_day_start(form.until.data, days_after=1))
    events = audit.recent(session, actor, query, before_id=form.before.data, limit=audit.PAGE_SIZE + 1)
    next_url = None
    if len(events) > audit.PAGE_SIZE:
        events = events[:audit.PAGE_SIZE]
        kept = {k: v for k, v in request.args.items() if v and k != "before"}
        next_url = url_for("console.admin_audit", **kept, before=events[-1].id)
    return render_template("console/admin/audit.html", form=form, events=events, next_url=next_url)


def _day_start(day, days_after: int = 0) -> datetime | None:
    """Midnight UTC of ``day`` (plus ``days_after`` days), or None."""
    return None if day is None else datetime.combine(day + timedelta(days=days_after), time(), tzinfo=timezone.utc)
