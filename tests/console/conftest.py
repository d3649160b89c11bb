"""Console fixtures: signed-out and signed-in browser-like clients (CSRF stays enabled)."""

from __future__ import annotations

import pytest

from tests.console.helpers import Console
from tests.factories import PASSWORD


@pytest.fixture
def console(client) -> Console:
    return Console(client)


@pytest.fixture
def as_user(app):
    """``as_user(email[, password])`` → a signed-in Console with its own cookie jar."""

    def sign_in(email: str, password: str = PASSWORD) -> Console:
        console = Console(app.test_client())
        response = console.login(email, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return console

    return sign_in
