"""The Flask application factory: wires the runtime, extensions, blueprints
and error handlers. Views stay thin; they call ``ncert.services``."""

from __future__ import annotations

from flask import Flask

from ncert import i18n
from ncert.runtime import Runtime
from ncert.web import health, session, transport
from ncert.web.extensions import csrf, login_manager


def create_app(runtime: Runtime | None = None) -> Flask:
    """The WSGI application; without ``runtime`` (``waitress-serve --call ncert.web:create_app``,
    gunicorn) it starts the same runtime as ``ncert serve``, playbooks and detection included."""
    runtime = runtime or Runtime.start()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=runtime.settings.secret_key,
        MAX_CONTENT_LENGTH=runtime.settings.max_content_length,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    app.extensions["ncert"] = runtime
    session.init_app(app)
    transport.init_app(app, runtime.settings.trusted_proxies)
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app, runtime.settings.default_locale)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from ncert.api.v1 import register as register_api
    from ncert.console import register as register_console
    from ncert.feeds import register as register_feeds
    from ncert.misp import register as register_misp
    from ncert.public import register as register_public
    from ncert.taxii import register as register_taxii

    register_api(app)
    register_taxii(app)
    register_feeds(app)
    register_misp(app)
    register_public(app)
    register_console(app)
    app.register_blueprint(health.bp)
