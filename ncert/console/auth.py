"""Signing in with e-mail and password, and signing out (a POST, so a link or
an image elsewhere cannot sign anyone out)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ncert.console.blueprint import bp
from ncert.console.context import ConsoleUser
from ncert.console.forms import LoginForm
from ncert.errors import Unauthenticated
from ncert.services import directory
from ncert.web.session import db


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.queue"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = directory.authenticate_password(db(), form.email.data, form.password.data)
        except Unauthenticated as exc:
            form.form_errors.append(exc.detail)
            return render_template("console/login.html", form=form), 401
        target = _local_target(request.args.get("next"))
        session.clear()  # a fresh session on sign-in: nothing carried over from before
        login_user(ConsoleUser(user))
        return redirect(target)
    return render_template("console/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    """Sign out; the CSRF token was checked app-wide by CSRFProtect."""
    logout_user()
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("console.login"))


def _local_target(target: str | None) -> str:
    """Only a path on this site may follow sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("console.queue")
