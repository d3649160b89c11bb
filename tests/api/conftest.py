"""Fixtures for the REST API tests: an ``api`` client that speaks as a named caller."""

from __future__ import annotations

import pytest

from tests.api.helpers import CALLERS, Api


@pytest.fixture
def api(client, world) -> Api:
    """Keys for every caller exist up front, so creating one never shows up as a write under test."""
    api = Api(client, world)
    for who in CALLERS:
        api.key(who)
    return api
