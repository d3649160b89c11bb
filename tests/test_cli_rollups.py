"""`ncert rollups rebuild` and migration 0010b count the incidents already stored,
idempotently, on each backend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import delete

from ncert.cli import Context, main
from ncert.db import transaction, utcnow
from ncert.models import IncidentRollup, RollupDuration
from ncert.schema import alembic_config, upgrade
from tests.services.kpi_helpers import place
from tests.services.test_rollups import rollup_rows


@pytest.fixture
def stored(world) -> list[tuple]:
    """Three incidents on two days, one acknowledged; answers their rollup rows as kept on write."""
    gridco = world.actor("analyst@gridco.test")
    for days_ago, title in ((0, "Phishing wave"), (3, "DDoS"), (3, "Defacement")):
        ref = world.submit(gridco, title=title, tlp="TLP:GREEN")
        reported = utcnow() - timedelta(days=days_ago)
        place(world, ref, reported_at=reported, acknowledged_at=reported + timedelta(minutes=days_ago + 1))
    with world.runtime.sessions() as s:
        return rollup_rows(s)


def _forget(world) -> None:
    with transaction(world.runtime.sessions) as s:
        s.execute(delete(RollupDuration))
        s.execute(delete(IncidentRollup))


def test_rebuild_recounts_what_is_stored_with_progress(world, stored, tmp_path):
    _forget(world)
    env = {"NCERT_DATABASE_URL": world.runtime.settings.database_url, "NCERT_DATA_DIR": str(tmp_path / "cli"),
           "NCERT_SECRET_KEY": None, "NCERT_NATIONAL_ORG": None}
    for _ in range(2):  # idempotent
        ctx = Context()
        try:
            result = CliRunner().invoke(main, ["rollups", "rebuild"], env=env, obj=ctx)
        finally:
            if ctx._runtime is not None:
                ctx._runtime.engine.dispose()
        assert result.exit_code == 0, result.output
        assert "4/4 days recounted" in result.stderr
        assert result.stdout.strip().endswith("rollups rebuilt: 3 incident(s) counted")
        with world.runtime.sessions() as s:
            assert rollup_rows(s) == stored


def test_the_migration_counts_incidents_stored_before_it(world, stored):
    engine = world.runtime.engine
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010b-1")
    upgrade(engine)
    with world.runtime.sessions() as s:
        assert rollup_rows(s) == stored
