"""Who may write through the console: a read-only role's POST is refused (403)
before any view reads its form (``ncert.web.writes``). Signing in and out is not a write."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.web.writes import refuse_read_only_writer

SIGN_IN_ENDPOINTS = {"console.login", "console.logout"}


@bp.before_request
def _refuse_read_only_writers() -> None:
    if request.endpoint not in SIGN_IN_ENDPOINTS and current_user.is_authenticated:
        refuse_read_only_writer(current_actor(), request.method, request.endpoint)
