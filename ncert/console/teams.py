"""Administration of teams (admin role only): the list with members, a form to
create a team, and adding or removing members."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import login_required

from ncert.console import forms
from ncert.console.blueprint import bp
from ncert.console.context import current_admin, return_to
from ncert.services import teams
from ncert.web.session import db


def _member_form(session, actor) -> forms.TeamMemberForm:
    form = forms.TeamMemberForm(prefix="member")
    form.email.choices = forms.options(*((u.email, f"{u.name} ({u.email})") for u in teams.candidates(session, actor)))
    return form


@bp.route("/admin/teams", methods=["GET", "POST"])
@login_required
def admin_teams():
    actor, session = current_admin(), db()
    form = forms.NewTeamForm(prefix="team")
    if form.validate_on_submit():
        return_to(url_for("console.admin_teams"))
        team = teams.create(session, actor, slug=form.slug.data, name=form.name.data, email=form.email.data)
        flash(gettext("Team %(team)s added.", team=team.slug), "success")
        return redirect(url_for("console.admin_teams"))
    return render_template("console/admin/teams.html", form=form, teams=teams.teams(session),
                           member_form=_member_form(session, actor),
                           button=forms.ButtonForm()), 422 if form.errors else 200


@bp.post("/admin/teams/<slug>/members")
@login_required
def admin_team_add_member(slug: str):
    actor, session = current_admin(), db()
    return_to(url_for("console.admin_teams"))
    team = teams.get(session, slug)
    form = _member_form(session, actor)
    if not form.validate_on_submit():
        flash(gettext("Member: %(errors)s", errors="; ".join(map(str, form.email.errors))
                      or gettext("choose a national-centre user")), "error")
        return redirect(url_for("console.admin_teams"))
    teams.add_member(session, actor, team.slug, form.email.data)
    flash(gettext("%(email)s added to %(team)s.", email=form.email.data, team=team.slug), "success")
    return redirect(url_for("console.admin_teams"))


@bp.post("/admin/teams/<slug>/members/<int:user_id>/remove")
@login_required
def admin_team_remove_member(slug: str, user_id: int):
    actor, session = current_admin(), db()
    return_to(url_for("console.admin_teams"))
    team = teams.get(session, slug)
    member = next((u for u in team.members if u.id == user_id), None)
    if member is None:
        flash(gettext("That user is not a member of %(team)s.", team=team.slug), "error")
        return redirect(url_for("console.admin_teams"))
    teams.remove_member(session, actor, team.slug, member.email)
    flash(gettext("%(email)s removed from %(team)s.", email=member.email, team=team.slug), "success")
    return redirect(url_for("console.admin_teams"))
