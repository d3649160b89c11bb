"""Fixtures: the default playbook library plus two watcher playbooks, installed
together with detection, acting on every incident submitted while a test runs."""

from __future__ import annotations

import shutil

import pytest

import detection
from detection.settings import DetectionSettings
from playbooks import engine
from tests.categoriser_models import categorisers, shipped  # noqa: F401  (fixtures)

WATCHERS = """
name: correlation-watch
version: 1
triggers: [indicator.correlated]
actions:
  - {type: add_tasks, tasks: [Compare the correlated reports]}
---
name: four-sectors
version: 1
triggers: [indicator.correlated]
when: {fact: sectors_sharing_indicator, gte: 4}
actions:
  - {type: raise_severity_to, level: 4}
---
name: anomaly-watch
version: 1
triggers: [anomaly.flagged]
when: {fact: anomaly_score, gte: 0.99}
actions:
  - {type: add_tasks, tasks: [Review the anomalous report]}
---
name: volume-watch
version: 1
triggers: [anomaly.flagged]
actions:
  - {type: add_tasks, tasks: [Check the sector's reporting volume]}
"""

SETTINGS = DetectionSettings(correlation_max_incidents=5, anomaly_threshold=0.99, anomaly_min_incidents=100)


@pytest.fixture
def installed(world, tmp_path):
    """The default library with the watchers, and detection, as the incident listeners."""
    library = tmp_path / "library"
    shutil.copytree(engine.DEFAULT_LIBRARY, library)
    for i, text in enumerate(WATCHERS.split("---")):
        (library / f"watch-{i}.yaml").write_text(text)
    books = engine.install(world.runtime, library)
    detection.install(world.runtime, SETTINGS)
    yield books
    detection.uninstall(world.runtime)
    engine.uninstall(world.runtime)
