"""The stored playbook library (issue 5): imported from the folder, managed by
admins with every version kept, and what the engine runs as soon as it changes."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select, update

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.models import AuditEvent, PlaybookVersion
from ncert.services import playbook_library, regimes
from playbooks import engine
from playbooks.engine import DEFAULT_LIBRARY
from playbooks.loader import PlaybookError
from tests.playbooks.helpers import Look, set_entity
from tests.playbooks.test_library import RANSOMWARE

PHISHING_TAG = """\
name: phishing-tag
description: Phishing gets a triage task
priority: 50
triggers: [incident.created]
when: {fact: category, eq: fraud/phishing}
actions:
  - type: add_tasks
    tasks: [Collect the lure and the landing page]
"""


def _admin(world):
    return world.actor("admin@ncert.test")


def _import(world, folder=DEFAULT_LIBRARY) -> playbook_library.SyncReport:
    with transaction(world.runtime.sessions) as s:
        return playbook_library.sync_folder(s, _admin(world), folder)


def _do(world, fn, *args, **kwargs):
    with transaction(world.runtime.sessions) as s:
        return fn(s, _admin(world), *args, **kwargs)


def _entry(world, name):
    with world.runtime.sessions() as s:
        return playbook_library.entry(s, name)


@pytest.fixture
def running(world):
    """The engine listening, with the folder library imported into the database."""
    _import(world)
    engine.install(world.runtime)
    yield
    engine.uninstall(world.runtime)


def test_import_stores_every_folder_playbook_once(world):
    report = _import(world)
    assert len(report.added) == len(list(DEFAULT_LIBRARY.glob("*.yaml"))) == 8
    again = _import(world)
    assert again.added == again.updated == again.kept_local == []
    entry = _entry(world, "ransomware-essential-entity")
    assert (entry.row.version, entry.current.source, entry.locally_edited) == (1, "library", False)
    assert entry.playbook.name == "ransomware-essential-entity" and entry.playbook.version == 1


def test_only_admins_manage_playbooks(world):
    _import(world)
    operator = world.actor("operator@ncert.test")
    with world.runtime.sessions() as s:
        with pytest.raises(Forbidden):
            playbook_library.create(s, operator, PHISHING_TAG)
        with pytest.raises(Forbidden):
            playbook_library.set_enabled(s, operator, "crisis-mode", False)
        with pytest.raises(Forbidden):
            playbook_library.edit(s, operator, "crisis-mode", PHISHING_TAG, base_version=1)


def test_create_checks_the_text_and_refuses_a_taken_name(world):
    entry = _do(world, playbook_library.create, PHISHING_TAG, comment="new rule")
    assert (entry.row.name, entry.row.version, entry.row.enabled) == ("phishing-tag", 1, True)
    with pytest.raises(Conflict, match="already exists"):
        _do(world, playbook_library.create, PHISHING_TAG)
    broken = PHISHING_TAG.replace("fraud/phishing", "fraud/not-a-type")
    with pytest.raises(PlaybookError) as caught:
        _do(world, playbook_library.create, broken.replace("phishing-tag", "other"))
    assert caught.value.line == 5 and "not-a-type" in caught.value.what


def test_edit_keeps_every_version_and_stamps_the_number(world):
    _do(world, playbook_library.create, PHISHING_TAG)
    v2 = _do(world, playbook_library.edit, "phishing-tag", PHISHING_TAG.replace("priority: 50", "priority: 40"),
             base_version=1, comment="run earlier")
    assert v2.row.version == 2 and v2.playbook.priority == 40 and v2.playbook.version == 2
    with_line = "version: 7\n" + PHISHING_TAG.replace("priority: 50", "priority: 30")
    v3 = _do(world, playbook_library.edit, "phishing-tag", with_line, base_version=2)
    assert v3.current.text.startswith("version: 3\n")  # the stored number wins over the text's
    with world.runtime.sessions() as s:
        history = playbook_library.versions(s, "phishing-tag")
    assert [v.version for v in history] == [3, 2, 1]
    assert history[1].comment == "run earlier" and "priority: 50" in history[2].text


def test_edit_refusals_write_nothing(world):
    _do(world, playbook_library.create, PHISHING_TAG)
    _do(world, playbook_library.edit, "phishing-tag", PHISHING_TAG.replace("50", "45"), base_version=1)
    with pytest.raises(Conflict, match="version 2"):  # someone saved v2 since this admin opened v1
        _do(world, playbook_library.edit, "phishing-tag", PHISHING_TAG.replace("50", "44"), base_version=1)
    with pytest.raises(Invalid, match="keeps its name"):
        _do(world, playbook_library.edit, "phishing-tag", PHISHING_TAG.replace("name: phishing-tag", "name: x"),
            base_version=2)
    with pytest.raises(Invalid, match="nothing changed"):
        _do(world, playbook_library.edit, "phishing-tag", PHISHING_TAG.replace("50", "45"), base_version=2)
    with pytest.raises(NotFound):
        _do(world, playbook_library.edit, "no-such-playbook", PHISHING_TAG, base_version=1)
    with world.runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PlaybookVersion)) == 2


def test_restore_makes_an_old_text_current_as_a_new_version(world):
    _do(world, playbook_library.create, PHISHING_TAG)
    _do(world, playbook_library.edit, "phishing-tag", PHISHING_TAG.replace("50", "45"), base_version=1)
    restored = _do(world, playbook_library.restore, "phishing-tag", 1)
    assert restored.row.version == 3 and restored.playbook.priority == 50
    assert restored.current.comment == "restored version 1"
    with world.runtime.sessions() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "playbook")
                                 .order_by(AuditEvent.id)))
    assert actions == ["playbook.create", "playbook.edit", "playbook.restore"]


def test_disabling_stops_the_engine_at_once_and_enabling_resumes(world, running):
    set_entity(world, "gridco", "essential")
    analyst = world.actor("analyst@gridco.test")
    _do(world, playbook_library.set_enabled, "ransomware-essential-entity", False)
    off = world.submit(analyst, **RANSOMWARE)
    _do(world, playbook_library.set_enabled, "ransomware-essential-entity", True)
    on = world.submit(analyst, **RANSOMWARE)
    with Look(world, off) as look:
        assert "ransomware-essential-entity" not in look.fired()
    with Look(world, on) as look:
        assert "ransomware-essential-entity" in look.fired()
    assert _entry(world, "ransomware-essential-entity").row.revision == 3


def test_the_engine_runs_the_edited_version(world, running):
    entry = _entry(world, "ransomware-essential-entity")
    edited = entry.current.text.replace("actions:\n", "actions:\n  - {type: add_tasks, tasks: [Call the CISO]}\n", 1)
    _do(world, playbook_library.edit, "ransomware-essential-entity", edited, base_version=1)
    set_entity(world, "gridco", "essential")
    ref = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)
    with Look(world, ref) as look:
        assert "Call the CISO" in [t.title for t in look.tasks()]
        notes = [e.body for e in look.notes() if "ransomware-essential-entity" in e.body]
    assert notes and all("v2" in body for body in notes)


def test_a_stored_text_that_no_longer_loads_is_skipped_not_fatal(world, running):
    stored = _entry(world, "crisis-mode")
    text = stored.current.text.replace("fact: severity", "fact: nonsense")
    with transaction(world.runtime.sessions) as s:  # e.g. written by an older release, with a fact since removed
        s.execute(update(PlaybookVersion).where(PlaybookVersion.playbook_id == stored.row.id).values(text=text))
    crisis = _entry(world, "crisis-mode")
    assert crisis.playbook is None and "nonsense" in crisis.error
    with world.runtime.sessions() as s:
        names = [b.name for b in playbook_library.library(s)]
    assert "crisis-mode" not in names and len(names) == 7
    set_entity(world, "gridco", "essential")
    ref = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)  # the rest of the library still runs
    with Look(world, ref) as look:
        assert "ransomware-essential-entity" in look.fired()


def test_folder_updates_follow_unless_an_admin_edited(world, tmp_path):
    for name in ("phishing-wave.yaml", "crisis-mode.yaml"):
        shutil.copy(DEFAULT_LIBRARY / name, tmp_path / name)
    _import(world, tmp_path)
    crisis = _entry(world, "crisis-mode")
    _do(world, playbook_library.edit, "crisis-mode", crisis.current.text.replace("priority: 900", "priority: 901"),
        base_version=1)
    for name in ("phishing-wave.yaml", "crisis-mode.yaml"):  # a new release changes both files
        path = tmp_path / name
        path.write_text(path.read_text().replace("description: ", "description: (2027) "))
    report = _import(world, tmp_path)
    assert report.updated == ["phishing-wave"] and report.kept_local == ["crisis-mode"]
    wave, crisis = _entry(world, "phishing-wave"), _entry(world, "crisis-mode")
    assert (wave.row.version, wave.current.source) == (2, "library") and "(2027)" in wave.playbook.description
    assert crisis.row.version == 2 and crisis.playbook.priority == 901 and "(2027)" not in crisis.current.text


def _cli(runtime, *args):
    from click.testing import CliRunner

    from ncert.cli import Context, main

    env = {"NCERT_DATABASE_URL": runtime.settings.database_url, "NCERT_DATA_DIR": runtime.settings.data_dir.as_posix()}
    ctx = Context()
    try:
        result = CliRunner().invoke(main, list(args), env=env, obj=ctx)
    finally:
        ctx._runtime and ctx._runtime.engine.dispose()
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_imports_switches_and_shows_history(world, runtime):
    assert _cli(runtime, "playbooks", "import") == "8 added, 0 updated\n"
    assert _cli(runtime, "playbooks", "disable", "phishing-wave") == "phishing-wave v1 disabled\n"
    listed = {line.split("\t")[1]: line.split("\t")[3] for line in _cli(runtime, "playbooks", "list").splitlines()}
    assert listed["phishing-wave"] == "disabled" and listed["crisis-mode"] == "enabled"
    entry = _entry(world, "crisis-mode")
    _do(world, playbook_library.edit, "crisis-mode", entry.current.text.replace("900", "905"), base_version=1,
        comment="after the exercise")
    history = _cli(runtime, "playbooks", "history", "crisis-mode").splitlines()
    assert [line.split("\t")[0] for line in history] == ["v2", "v1"]
    assert history[0].split("\t")[2:] == ["console", "admin@ncert.test", "after the exercise"]
    assert history[1].split("\t")[2:] == ["library", "library", "imported from crisis-mode.yaml"]
    assert "crisis-mode\tv2\t" in _cli(runtime, "playbooks", "list")


def test_a_playbook_may_start_a_regime_an_admin_stored(world):
    with_clock = PHISHING_TAG + "  - {type: start_clock, regime: central-bank-4h}\n"
    with pytest.raises(PlaybookError) as caught:
        _do(world, playbook_library.create, with_clock)
    assert caught.value.line == 9 and "unknown clock regime 'central-bank-4h'" in caught.value.what
    _do(world, regimes.save, name="central-bank-4h", title="Central bank: initial report within 4 h", repeat=False,
        new=True, stages=[{"name": "initial-report", "amount": 4, "unit": "hours", "anchor": "awareness",
                           "warn_minutes": 60}])
    entry = _do(world, playbook_library.create, with_clock)
    assert entry.playbook is not None and _entry(world, "phishing-tag").playbook.actions[-1].regime == "central-bank-4h"
