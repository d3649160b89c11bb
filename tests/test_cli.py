"""The `ncert` command line, run in-process with click's CliRunner against each backend.

These tests use the bare ``runtime`` fixture (not ``world``): ``ncert init``
loads the sector registry itself.
"""

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ncert.db import transaction
from ncert.errors import Unauthenticated
from ncert.models import ApiKey, Organization, Sector, User
from ncert.services import directory
from sector_certs import registry


@pytest.fixture
def initialised(ncert):
    result = ncert("init")
    assert result.exit_code == 0, result.output
    return ncert


def _counts(runtime):
    with runtime.sessions() as s:
        return (s.scalar(select(func.count()).select_from(Sector)),
                s.scalar(select(func.count()).select_from(Organization)))


def test_init_loads_the_registry_once(ncert, runtime):
    reg = registry.read()
    first = ncert("init")
    assert first.exit_code == 0, first.output
    assert f"{len(reg.sectors)} sectors and {len(reg.organizations)} organisations added" in first.output
    second = ncert("init")
    assert second.exit_code == 0, second.output
    assert "0 sectors and 0 organisations added" in second.output
    assert "playbooks: 8 added, 0 updated" in first.output and "playbooks: 0 added, 0 updated" in second.output
    assert _counts(runtime) == (len(reg.sectors), len(reg.organizations))


def test_sector_and_org_lists_start_each_line_with_the_slug(initialised):
    reg = registry.read()
    sectors = initialised("sector", "list")
    assert sectors.exit_code == 0
    assert [line.split("\t")[0] for line in sectors.output.splitlines()] == sorted(s.slug for s in reg.sectors)
    orgs = initialised("org", "list")
    assert orgs.exit_code == 0
    lines = orgs.output.splitlines()
    assert [line.split("\t")[0] for line in lines] == sorted(o.slug for o in reg.organizations)
    assert "gridco\tGridCo Transmission System Operator\tprivate-operator\tenergy" in lines


def test_org_add_and_user_add(initialised, runtime):
    added = initialised("org", "add", "--slug", "harbour-pilots", "--name", "Harbour Pilots", "--kind",
                        "private-operator", "--sector", "transport", "--nis2-entity", "important")
    assert added.exit_code == 0, added.output
    assert added.output.splitlines()[-1] == "harbour-pilots\tadded"
    assert "harbour-pilots\tHarbour Pilots\tprivate-operator\ttransport" in initialised("org", "list").output

    user = initialised("user", "add", "--email", "Analyst@Pilots.example", "--name", "Pat", "--role",
                       "sector_analyst", "--org", "harbour-pilots", "--password", "a long enough secret")
    assert user.exit_code == 0, user.output
    assert user.output.splitlines()[-1] == "analyst@pilots.example\tadded as sector_analyst"
    with transaction(runtime.sessions) as s:
        found = directory.authenticate_password(s, "analyst@pilots.example", "a long enough secret")
        assert found.org.slug == "harbour-pilots"


def test_apikey_create_prints_the_key_last_and_revoke_disables_it(initialised, runtime):
    created = initialised("apikey", "create", "--org", "gridco", "--role", "sector_analyst", "--name", "siem")
    assert created.exit_code == 0, created.output
    secret = created.output.splitlines()[-1]
    assert secret.startswith("ncert_") and " " not in secret
    with transaction(runtime.sessions) as s:
        key = directory.authenticate_key(s, secret)
        assert (key.org.slug, key.role, key.name) == ("gridco", "sector_analyst", "siem")
        prefix = key.prefix
    listed = initialised("apikey", "list")
    assert listed.output.startswith(f"{prefix}\tgridco\tsector_analyst\tactive")
    assert secret not in listed.output

    revoked = initialised("apikey", "revoke", prefix)
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output.strip() == f"{prefix}\trevoked"
    with runtime.sessions() as s:
        with pytest.raises(Unauthenticated, match="revoked"):
            directory.authenticate_key(s, secret)
    assert "\trevoked " in initialised("apikey", "list").output


def test_config_hides_the_secret_key_and_database_password(ncert, runtime):
    result = ncert("config")
    assert result.exit_code == 0, result.output
    secret = (ncert.data_dir / "secret_key").read_text().strip()
    assert secret and secret not in result.output
    assert "NCERT_SECRET_KEY=***" in result.output
    url = make_url(runtime.settings.database_url)
    assert f"NCERT_DATABASE_URL={url.render_as_string(hide_password=True)}" in result.output
    if url.password:
        assert f":{url.password}@" not in result.output
    assert "NCERT_ANOMALY_THRESHOLD=0.99" in result.output and "NCERT_CORRELATION_MAX_INCIDENTS=50" in result.output


def test_demo_prints_the_logins_and_runs_once(initialised):
    from sector_certs.demo import LOGINS

    first = initialised("demo", "--incidents", "25", "--days", "14", "--seed", "3")
    assert first.exit_code == 0, first.output
    assert "demo data seeded: 25 incidents" in first.output
    for login in LOGINS:
        assert any(login.email in line and line.endswith(f"password: {login.password}")
                   for line in first.output.splitlines())
    second = initialised("demo", "--incidents", "25")
    assert second.exit_code == 0, second.output
    assert "already present (25 demo incidents)" in second.output


@pytest.mark.parametrize("args, message", [
    (("user", "add", "--email", "x@y.example", "--name", "X", "--role", "admin", "--org", "atlantis",
      "--password", "long enough password"), "no organisation 'atlantis'"),
    (("apikey", "create", "--org", "atlantis", "--role", "admin"), "no organisation 'atlantis'"),
    (("org", "add", "--slug", "x", "--name", "X", "--kind", "state-body", "--sector", "atlantis"),
     "unknown sector 'atlantis'"),
    (("org", "add", "--slug", "gridco", "--name", "Again", "--kind", "state-body"),
     "organisation 'gridco' already exists"),
    (("user", "add", "--email", "x@y.example", "--name", "X", "--role", "admin", "--org", "gridco",
      "--password", "short"), "password must have at least 12 characters"),
    (("apikey", "revoke", "ncert_nope"), "no API key 'ncert_nope'"),
])
def test_errors_exit_non_zero_with_a_clear_message(initialised, runtime, args, message):
    before = _rows(runtime)
    result = initialised(*args)
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    assert "Traceback" not in result.output
    assert _rows(runtime) == before


def _rows(runtime):
    with runtime.sessions() as s:
        return [s.scalar(select(func.count()).select_from(model)) for model in (Sector, Organization, User, ApiKey)]
