"""The web console: server-rendered pages for analysts, operators, leadership
and admins. Views are thin: each calls one service with the console actor."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext

from ncert.i18n import N_
from ncert.web.extensions import login_manager


def register(app: Flask) -> None:
    """Attach the console blueprint and the login machinery to ``app``."""
    from ncert.console import (  # noqa: F401  (routes)
        admin,
        advisories,
        auth,
        category_suggestion,
        context,
        errors,
        feeds,
        incident,
        indicators,
        kpi,
        landscape,
        models_admin,
        overview,
        playbooks,
        queue,
        regimes,
        reports,
        risks,
        stix,
        submit,
        tasks,
        teams,
        trends,
        writes,
    )
    from ncert.console.blueprint import bp

    login_manager.login_view = "console.login"
    login_manager.login_message = N_("Please sign in to continue.")
    login_manager.localize_callback = gettext  # the message above, in the page's language
    login_manager.login_message_category = "info"
    login_manager.user_loader(context.load_user)
    app.register_blueprint(bp)
    errors.register_unrouted(app)  # after the other doors: the console answers every other unknown URL
