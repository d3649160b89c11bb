"""Bearer API keys (RFC 6750 §2.1): ``Authorization: Bearer <api key>``.

Every v1 route needs a key except the public ones (the OpenAPI document).
The key becomes an ``Actor`` with interface "api" for the services. A write
request from a read-only role is refused here, before its body is read
(``ncert.web.writes``).
"""

from __future__ import annotations

from flask import g, request

from ncert.actor import Actor
from ncert.api.v1.routing import bp, public_endpoints
from ncert.errors import Unauthenticated
from ncert.i18n import N_
from ncert.models import ApiKey
from ncert.services import directory
from ncert.web.session import db
from ncert.web.writes import refuse_read_only_writer


@bp.before_request
def authenticate() -> None:
    if request.endpoint in public_endpoints():
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated(N_("send an API key as 'Authorization: Bearer <key>'"))
    key = directory.authenticate_key(db(), secret)
    g.api_key = key
    g.api_actor = directory.actor_for_key(key, "api")
    refuse_read_only_writer(g.api_actor, request.method, request.endpoint)


def actor() -> Actor:
    return g.api_actor


def api_key() -> ApiKey:
    return g.api_key
