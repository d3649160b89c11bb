"""The production stack (compose/) read against the app it runs: these machines cannot start
containers, so the compose file is parsed and every service's command, settings, dependencies,
health checks, volumes and images are checked against ncert's real CLI, settings and WSGI app."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from ncert.cli import main
from ncert.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose"
NCERT_SERVICES = ("migrate", "web", "worker")
SECRETS = {"POSTGRES_PASSWORD": "pg-secret", "NCERT_SECRET_KEY": "app-secret"}


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` (the forms the file uses)."""
    def one(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg if op == ":-" else ""
    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, text)


@pytest.fixture(scope="module")
def stack() -> dict:
    return yaml.safe_load(interpolate((COMPOSE / "docker-compose.yml").read_text(), SECRETS))


def test_the_required_secrets_must_be_given():
    text = (COMPOSE / "docker-compose.yml").read_text()
    for name in SECRETS:
        with pytest.raises(KeyError, match=name):
            interpolate(text, {k: v for k, v in SECRETS.items() if k != name})


def test_the_services_of_the_stack(stack):
    assert set(stack["services"]) == {"postgres", "elasticsearch", "migrate", "web", "worker", "proxy"}


def test_every_ncert_variable_is_a_setting_ncert_reads(stack, tmp_path):
    for name in NCERT_SERVICES:
        env = stack["services"][name]["environment"]
        assert {"NCERT_DATABASE_URL", "NCERT_SECRET_KEY", "NCERT_DATA_DIR", "NCERT_ELASTICSEARCH_URL"} <= set(env)
        settings = Settings.from_env({**env, "NCERT_DATA_DIR": str(tmp_path)})  # not the container's path here
        described = settings.describe()
        for variable, value in env.items():
            assert variable.startswith("NCERT_") and variable in described, variable
        assert settings.secret_key == SECRETS["NCERT_SECRET_KEY"]  # shared by every process, never generated
        assert settings.elasticsearch_url == "http://elasticsearch:9200"
    assert Settings.from_env({**stack["services"]["web"]["environment"],
                              "NCERT_DATA_DIR": str(tmp_path)}).trusted_proxies == 1


def test_the_database_compares_text_byte_by_byte(stack):
    """``ncert init`` refuses a linguistic collation (``ncert.schema``): the stack's initdb must not make one."""
    args = stack["services"]["postgres"]["environment"]["POSTGRES_INITDB_ARGS"].split()
    assert "--locale=C.UTF-8" in args and "--locale-provider=libc" in args


def test_the_database_url_names_the_postgres_service_and_its_credentials(stack):
    pg = stack["services"]["postgres"]["environment"]
    for name in NCERT_SERVICES:
        url = make_url(stack["services"][name]["environment"]["NCERT_DATABASE_URL"])
        assert (url.drivername, url.host, url.port) == ("postgresql+psycopg", "postgres", 5432)
        assert (url.username, url.password, url.database) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"],
                                                                pg["POSTGRES_DB"])


@pytest.mark.parametrize("service, command", [("migrate", "init"), ("worker", "worker")])
def test_commands_are_ncert_commands(stack, service, command):
    assert stack["services"][service]["command"] == ["ncert", command]
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output


def test_web_runs_the_wsgi_app_in_several_gunicorn_workers(stack):
    command = stack["services"]["web"]["command"]
    assert command[0] == "gunicorn" and int(command[command.index("--workers") + 1]) > 1
    module, call = command[-1].split(":")
    assert call == "create_app()" and callable(importlib.import_module(module).create_app)
    assert command[command.index("--bind") + 1] == "0.0.0.0:8000"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("gunicorn") for d in extras["production"])
    assert '".[production]"' in (COMPOSE / "Dockerfile").read_text()


def test_a_serve_without_scheduler_exists_for_a_single_web_process():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "--no-scheduler" in result.output


def test_dependencies_wait_for_health_and_the_migration(stack):
    services = stack["services"]
    want = {"migrate": {"postgres": "service_healthy"},
            "web": {"postgres": "service_healthy", "elasticsearch": "service_healthy",
                    "migrate": "service_completed_successfully"},
            "worker": {"postgres": "service_healthy", "elasticsearch": "service_healthy",
                       "migrate": "service_completed_successfully"},
            "proxy": {"web": "service_healthy"}}
    for name, deps in want.items():
        assert {k: v["condition"] for k, v in services[name]["depends_on"].items()} == deps
    for name in ("postgres", "elasticsearch", "web"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "_cluster/health" in " ".join(services["elasticsearch"]["healthcheck"]["test"])
    assert services["migrate"]["restart"] == "no"


def test_data_lives_in_named_volumes(stack):
    declared = set(stack["volumes"])
    mounts = {name: {m.split(":")[1]: m.split(":")[0] for m in s.get("volumes", [])}
              for name, s in stack["services"].items()}
    assert mounts["postgres"]["/var/lib/postgresql/data"] in declared
    assert mounts["elasticsearch"]["/usr/share/elasticsearch/data"] in declared
    for name in NCERT_SERVICES:
        assert mounts[name][stack["services"][name]["environment"]["NCERT_DATA_DIR"]] in declared
    assert mounts["proxy"]["/data"] in declared  # the proxy's certificates survive a restart


def test_images_are_pinned(stack):
    images = [s["image"] for s in stack["services"].values() if "image" in s]
    images += re.findall(r"^FROM (\S+)", (COMPOSE / "Dockerfile").read_text(), re.M)
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and tag != "latest" and re.search(r"\d+\.\d+", tag), image


def test_the_proxy_terminates_tls_for_the_web_service(stack):
    proxy = stack["services"]["proxy"]
    assert "443:443" in proxy["ports"]
    caddyfile = (COMPOSE / "Caddyfile").read_text()
    assert re.search(r"^\s*tls ", caddyfile, re.M) and "reverse_proxy web:8000" in caddyfile
    assert "ports" not in stack["services"]["web"]  # reached only through the proxy
