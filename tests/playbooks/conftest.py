"""Fixtures for engine tests: the default library installed as the incident
listener, with detection beside it as in ``ncert serve`` (the cross-sector
playbook acts on its ``indicator.correlated``)."""

from __future__ import annotations

import pytest

import detection
from detection.settings import DetectionSettings
from playbooks import engine


@pytest.fixture
def library(world):
    """The default library, acting on every incident submitted while the test runs."""
    books = engine.install(world.runtime)
    detection.install(world.runtime, DetectionSettings())
    yield books
    detection.uninstall(world.runtime)
    engine.uninstall(world.runtime)
