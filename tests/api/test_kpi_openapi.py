"""The KPI and landscape routes in the OpenAPI document: real responses, successes and
errors alike, match the schemas it gives. ``exercise`` is also run by the document-wide
check in ``test_openapi``, which insists every route was exercised."""

from __future__ import annotations

from tests.api.helpers import PREFIX, bearer

ROUTES = ("/kpi", "/landscape")


def exercise(check, api) -> None:
    """Every KPI and landscape operation, with a success and at least one error each
    (``check`` is test_openapi's Checker)."""
    c, admin, gridco = api.client, bearer(api.key("admin")), bearer(api.key("gridco"))
    api.submit("gridco", title="Phishing wave", category="fraud/phishing")
    org, sector = f"{PREFIX}/kpi/organizations/{{slug}}", f"{PREFIX}/kpi/sectors/{{slug}}"
    for template, path in ((org, f"{PREFIX}/kpi/organizations/gridco"), (sector, f"{PREFIX}/kpi/sectors/energy")):
        check(template, "get", c.get(path, headers=admin, query_string={"period": "2026Q3"}))
        check(template, "get", c.get(path, headers=admin, query_string={"from": "2026-07-01", "to": "2026-07-31"}))
        check(template, "get", c.get(path, headers=admin, query_string={"period": "2026Q7"}))  # 400
        check(template, "get", c.get(path))  # 401
        reviews = template + "/reviews"
        check(reviews, "post", c.post(path + "/reviews", json={"period": "2026Q3"}, headers=admin))  # 201
        check(reviews, "post", c.post(path + "/reviews", json={"period": "2026Q3", "sign_off": True},
                                      headers=admin))  # 200
        check(reviews, "post", c.post(path + "/reviews", json={"period": "2026Q3"}, headers=admin))  # 409
        check(reviews, "post", c.post(path + "/reviews", json={"period": 3}, headers=admin))  # 422
    check(sector, "get", c.get(f"{PREFIX}/kpi/sectors/energy", headers=gridco))  # 404

    responsible = f"{PREFIX}/kpi/organizations/{{slug}}/responsible"
    path = f"{PREFIX}/kpi/organizations/gridco/responsible"
    check(responsible, "put", c.put(path, json={"name": "Aysel Mammadova"}, headers=admin))
    check(responsible, "put", c.put(path, json={"name": "Me"}, headers=gridco))  # 403

    target = f"{PREFIX}/kpi/targets/{{kpi_key}}"
    check(target, "put", c.put(f"{PREFIX}/kpi/targets/open_criticals", json={"target": 0, "amber": 2},
                               headers=admin))
    check(target, "put", c.put(f"{PREFIX}/kpi/targets/nope", json={"target": 0, "amber": 2}, headers=admin))  # 404

    landscape = f"{PREFIX}/landscape"
    check(landscape, "get", c.get(landscape, headers=gridco, query_string={"period": "2026Q3"}))
    check(landscape, "get", c.get(landscape, headers=gridco, query_string={"to": "2026-07-31"}))  # 400


def test_kpi_and_landscape_responses_match_the_document(api, client):
    from tests.api.test_openapi import Checker  # that module imports this one

    doc = client.get(f"{PREFIX}/openapi.json").json
    check = Checker(doc)
    exercise(check, api)
    ours = {(path, method) for path, item in doc["paths"].items() if path.startswith(tuple(PREFIX + r for r in ROUTES))
            for method in item}
    assert len(ours) == 7
    for path, method in ours:
        statuses = {s for p, m, s in check.seen if (p, m) == (path, method)}
        assert any(s < 300 for s in statuses) and any(s >= 400 for s in statuses), (path, method, statuses)
