"""``/me``: who the presented API key is."""

from __future__ import annotations

from ncert.api.v1.auth import api_key
from ncert.api.v1.routing import operation, respond
from ncert.api.v1.serialize import Me, me


@operation("GET", "/me", returns=Me, summary="Who this API key is")
def whoami():
    """The organisation, role and prefix of the key in the Authorization header."""
    return respond(me(api_key()))
