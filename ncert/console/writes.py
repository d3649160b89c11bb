"""Who may write through the console: a read-only role's POST is refused (403)
before any view reads its form. Signing in and out is not a write."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from ncert.console.blueprint import bp
from ncert.console.context import current_actor
from ncert.services import directory

SIGN_IN_ENDPOINTS = {"console.login", "console.logout"}


@bp.before_request
def _refuse_read_only_writers() -> None:
    if request.method == "POST" and request.endpoint not in SIGN_IN_ENDPOINTS and current_user.is_authenticated:
        directory.require_may_write(current_actor())
