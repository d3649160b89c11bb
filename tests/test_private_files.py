"""The data dir is the owner's alone (0700), and so is the SQLite database with
its WAL files (0600): `ncert init` on a fresh machine makes them that way, and a
runtime tightens ones left open."""

from __future__ import annotations

import os
import stat

from click.testing import CliRunner

from ncert.cli import Context, main
from ncert.config import Settings
from ncert.runtime import Runtime


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_creates_a_private_data_dir_and_database(tmp_path):
    data_dir = tmp_path / "fresh" / "instance"
    previous = os.umask(0o022)  # a common default, which would leave both world-readable
    ctx = Context()
    try:
        result = CliRunner().invoke(main, ["init"], obj=ctx, env={
            "NCERT_DATA_DIR": str(data_dir), "NCERT_DATABASE_URL": None, "NCERT_SECRET_KEY": None})
        assert result.exit_code == 0, result.output
    finally:
        os.umask(previous)
        if ctx._runtime is not None:
            ctx._runtime.engine.dispose()
    assert _mode(data_dir) == 0o700
    files = {p.name: _mode(p) for p in data_dir.iterdir() if p.name.startswith("ncert.db")}
    assert "ncert.db" in files and set(files.values()) == {0o600}, files


def test_a_runtime_tightens_an_open_data_dir_and_database(tmp_path):
    data_dir = tmp_path / "instance"
    data_dir.mkdir(mode=0o755)
    db_file = data_dir / "ncert.db"
    db_file.touch(mode=0o644)
    os.chmod(data_dir, 0o755)
    os.chmod(db_file, 0o644)
    runtime = Runtime.create(Settings.from_env({"NCERT_DATA_DIR": str(data_dir), "NCERT_SECRET_KEY": "k"}))
    runtime.engine.dispose()
    assert (_mode(data_dir), _mode(db_file)) == (0o700, 0o600)
