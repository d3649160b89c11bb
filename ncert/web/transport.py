"""HTTPS-awareness: which proxies to believe, ``Secure`` cookies and HSTS.

A request counts as HTTPS when it arrived over TLS, or when one of the
``NCERT_TRUSTED_PROXIES`` reverse proxies in front says so in
``X-Forwarded-Proto`` (werkzeug's ProxyFix, which also takes the client
address from ``X-Forwarded-For``). With no trusted proxy those headers are
ignored: anyone could send them.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

# RFC 6797 §6.1: sent only over secure transport; a year, the usual max-age.
HSTS = "max-age=31536000; includeSubDomains"


class _SessionCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie, marked ``Secure`` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def init_app(app: Flask, trusted_proxies: int) -> None:
    if trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies)
    app.session_interface = _SessionCookie()

    @app.after_request
    def _strict_transport(response):
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
