"""A revoked API key and a key that never existed get the same answer on every
door that takes keys, so a caller cannot learn that a key once worked."""

from __future__ import annotations

import secrets

import pytest

from ncert.db import transaction
from ncert.services import directory
from tests.differential import Differential

DOORS = {
    "rest": ("/api/v1/me", "Bearer"),
    "taxii": ("/taxii2/", "Bearer"),
    "misp": ("/misp/servers/getVersion", None),  # MISP sends the bare key
    "misp-feed": ("/misp-feeds/sector-certs/manifest.json", None),
}


def revoked_key(world) -> str:
    with transaction(world.runtime.sessions) as s:
        key, secret = directory.create_api_key(s, world.admin, org="gridco", role="sector_analyst")
        directory.revoke_api_key(s, world.admin, key.prefix)
    return secret


def made_up_key() -> str:
    """Shaped like a real key (``create_api_key``), never issued."""
    return f"ncert_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


@pytest.mark.parametrize("door", DOORS)
def test_revoked_and_unknown_keys_get_the_same_answer(client, world, door):
    path, scheme = DOORS[door]

    def ask(key: str) -> dict:
        response = client.get(path, headers={"Authorization": f"{scheme} {key}" if scheme else key})
        return {"status": response.status_code, "body": response.get_data(as_text=True),
                "challenge": response.headers.get("WWW-Authenticate")}

    answer = ask(made_up_key())
    assert answer["status"] == 401
    Differential(secret=revoked_key(world), control=made_up_key()).assert_same(ask)
