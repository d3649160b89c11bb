"""Signing in with e-mail and password, and signing out (a POST, so a link or
an image elsewhere cannot sign anyone out). The rules (throttle, audit,
server-side sessions) live in ``ncert.services.sign_in`` and ``console_sessions``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required, login_user, logout_user

from ncert import i18n
from ncert.console.blueprint import bp
from ncert.console.context import INTERFACE, SESSION_TOKEN, ConsoleUser, current_actor
from ncert.console.forms import LoginForm
from ncert.errors import TooManyRequests, Unauthenticated
from ncert.services import console_sessions, directory, sign_in
from ncert.web.redirects import local_path
from ncert.web.session import db, runtime


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.queue"))
    form = LoginForm()
    if form.validate_on_submit():
        settings = runtime().settings
        try:
            user = sign_in.sign_in(db(), form.email.data, form.password.data, address=request.remote_addr or "",
                                   throttle=sign_in.Throttle.of(settings), interface=INTERFACE)
        except (Unauthenticated, TooManyRequests) as exc:
            db().commit()  # the failure counts and is audited, though the answer is an error
            form.form_errors.append(_sign_in_refusal(exc))
            headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else {}
            return render_template("console/login.html", form=form), exc.status, headers
        target = local_path(request.args.get("next"), url_for("console.queue"))
        chosen = session.get(i18n.SESSION_KEY)  # the language picked on the sign-in page stays
        session.clear()  # a fresh session on sign-in: nothing else carried over from before
        if chosen in i18n.LOCALES:
            session[i18n.SESSION_KEY] = chosen
            if user.locale is None:
                directory.set_user_locale(db(), user, chosen)
        session[SESSION_TOKEN] = console_sessions.start(db(), user, console_sessions.Lifetime.of(settings))
        login_user(ConsoleUser(user))
        return redirect(target)
    return render_template("console/login.html", form=form), 422 if form.errors else 200


def _sign_in_refusal(exc: Unauthenticated | TooManyRequests) -> str:
    """The service's refusal in the page's language (the API keeps the service's own detail)."""
    if isinstance(exc, TooManyRequests):
        return ngettext("too many failed sign-ins: try again in %(num)d minute",
                        "too many failed sign-ins: try again in %(num)d minutes", -(-exc.retry_after // 60))
    return gettext("wrong e-mail or password")


@bp.post("/logout")
@login_required
def logout():
    """Sign out, here and on the server; the CSRF token was checked app-wide by CSRFProtect."""
    sign_in.sign_out(db(), current_actor(), session.get(SESSION_TOKEN), address=request.remote_addr or "")
    logout_user()
    chosen = session.get(i18n.SESSION_KEY)
    session.clear()
    if chosen in i18n.LOCALES:
        session[i18n.SESSION_KEY] = chosen  # the sign-in page that follows stays in the user's language
    flash(gettext("Signed out."), "info")
    return redirect(url_for("console.login"))
