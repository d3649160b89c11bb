"""Leadership reviews; it writes nothing. Every write route of the REST API and of
the console, read from the app's URL map, answers 403 to leadership and leaves
the database as it was, except the records leadership keeps itself (its KPI card
reviews, ``ncert.web.writes``). The MISP and TAXII doors have their own tests."""

from __future__ import annotations

import pytest

from ncert.web.writes import LEADERSHIP_RECORDS
from tests.api.helpers import CALLERS, Api, bearer, snapshot
from tests.console.helpers import Console

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
NOT_WALKED = {"console.login", "console.logout", *LEADERSHIP_RECORDS}  # signing in and out writes no domain data


def _write_routes(app, blueprint: str) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{blueprint}.") and rule.endpoint not in NOT_WALKED:
            routes += [(rule.endpoint, method, rule.rule) for method in sorted(rule.methods & WRITES)]
    assert routes, f"no write routes found for {blueprint}"
    return routes


def _url(app, endpoint: str, rule: str, values: dict) -> str:
    [found] = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule]
    args = {name: values.get(name, "x") for name in found.arguments - set(found.defaults or ())}
    if "switch" in args:
        args["switch"] = "disable"
    if "to" in args:
        args["to"] = "done"
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **args)


@pytest.fixture
def api(client, world) -> Api:
    api = Api(client, world)
    for who in CALLERS:  # keys exist up front, so making one is not a write under test
        api.key(who)
    return api


@pytest.fixture
def existing(world, api):
    """Real objects for every URL variable, so a route cannot answer 404 before asking about the role."""
    incident = api.submit("gridco", title="Phishing wave", tlp="TLP:GREEN")
    return {"reference": incident["reference"], "user_id": world.users["analyst@gridco.test"],
            "slug": "gridco", "prefix": "x", "name": "phishing-tag", "number": 1, "version": 1,
            "task_id": 1, "rfi_id": 1, "filter_id": 1, "type": "ipv4-addr", "value": "198.51.100.7"}


def test_every_rest_write_route_refuses_leadership(app, api, existing):
    routes = _write_routes(app, "api_v1")
    before = snapshot(api.world.runtime)
    answers = {}
    for endpoint, method, rule in routes:
        response = api.client.open(_url(app, endpoint, rule, existing), method=method, json={},
                                   headers=bearer(api.key("leader")))
        answers[f"{method} {rule}"] = response.status_code
    assert answers == {route: 403 for route in answers}
    assert snapshot(api.world.runtime) == before


def test_every_console_write_route_refuses_leadership(app, api, existing):
    console = Console(app.test_client())
    assert console.login("leader@ncert.test").status_code == 302
    routes = _write_routes(app, "console")
    before = snapshot(api.world.runtime)
    answers = {}
    for endpoint, method, rule in routes:
        response = console.post(_url(app, endpoint, rule, existing), {})
        answers[f"{method} {rule}"] = response.status_code
    assert answers == {route: 403 for route in answers}
    assert snapshot(api.world.runtime) == before
