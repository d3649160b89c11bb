"""Fixtures for engine tests: the default library installed as the incident listener."""

from __future__ import annotations

import pytest

from playbooks import engine


@pytest.fixture
def library(world):
    """The default library, acting on every incident submitted while the test runs."""
    books = engine.install()
    yield books
    engine.uninstall()
