"""``category_suggestion`` in the incident JSON, the decision endpoint, and the reporter-isolation
rule: what a reporter is shown must not change because of a report it cannot see."""

from __future__ import annotations

import pytest

from detection import categorisation, modelstore, training
from ncert.db import transaction
from ncert.records import Category
from tests.api.helpers import PREFIX, bearer
from tests.categoriser_models import categorisers, shipped, shipped_model, store  # noqa: F401  (fixtures)
from tests.differential import Differential

pytestmark = pytest.mark.usefixtures("categorisers")

PHISHING = "Phishing e-mails imitating the national post ask recipients to pay a customs fee with their card"


def test_each_audience_sees_its_own_models_suggestion(api):
    ref = api.submit(description=PHISHING)["reference"]
    mine = api.get(f"/incidents/{ref}", "gridco").json["category_suggestion"]
    national = api.get(f"/incidents/{ref}", "operator").json["category_suggestion"]
    assert mine["class"] == national["class"] == "fraud"
    assert mine["model_version"] == "categoriser-reporter/v1"
    assert national["model_version"] == "categoriser-national/v1"
    assert set(mine) == {"class", "type", "confidence", "model_version", "suggested", "confirmed"}
    assert mine["confirmed"] is False and 0 < mine["confidence"] <= 1


def test_a_report_with_a_category_has_no_suggestion(api):
    ref = api.submit(description=PHISHING, category="fraud/phishing")["reference"]
    assert api.get(f"/incidents/{ref}", "gridco").json["category_suggestion"] is None


def test_an_operator_accepts_in_one_request(api):
    ref = api.submit(description=PHISHING)["reference"]
    response = api.post(f"/incidents/{ref}/category-decision", "operator", {})
    assert response.status_code == 200, response.json
    body = response.json
    suggestion = body["category_suggestion"]
    assert body["category"] == {"class": suggestion["class"], "type": suggestion["type"]}
    assert suggestion["confirmed"] is True


def test_an_operator_corrects_in_one_request(api):
    ref = api.submit(description=PHISHING)["reference"]
    response = api.post(f"/incidents/{ref}/category-decision", "operator",
                        {"category": "information-content-security/data-leak"})
    assert response.status_code == 200, response.json
    assert response.json["category"] == {"class": "information-content-security", "type": "data-leak"}
    assert response.json["category_suggestion"]["confirmed"] is True


def test_decisions_are_for_operators_and_need_a_suggestion(api):
    ref = api.submit(description=PHISHING)["reference"]
    refused = api.post(f"/incidents/{ref}/category-decision", "gridco", {})
    assert refused.status_code == 403 and refused.json["error"]
    bad = api.post(f"/incidents/{ref}/category-decision", "operator", {"category": "fraud/ddos"})
    assert bad.status_code == 422 and bad.json["error"]
    given = api.submit(description=PHISHING, category="fraud/phishing")["reference"]
    conflict = api.post(f"/incidents/{given}/category-decision", "operator", {})
    assert conflict.status_code == 409 and "no category suggestion" in conflict.json["detail"]


# Letters no corpus example uses: the reporter model has no feature for either value, so its
# suggestion for the two probes is the same unless something else leaks into it.
SECRET, CONTROL = "ξψζωϡ", "ϟϣϥϧϩ"
BEACON = "Beacons to the {value} relay seen from workstation {n}"


def test_a_reporters_view_does_not_depend_on_another_organisations_corrected_reports(api, world):
    powergen = world.actor("analyst@powergen.test")
    hidden = [world.submit(powergen, description=BEACON.format(value=SECRET, n=n), tlp="TLP:RED")
              for n in range(12)]
    with transaction(world.runtime.sessions) as s:
        for ref in hidden:
            categorisation.decide(s, world.operator, ref, Category.model_validate("malicious-code/c2-server"))
    with transaction(world.runtime.sessions) as s:
        [national] = training.train(s, "test")
        modelstore.promote(s, national.row, "admin")  # whatever its corpus score: the model that learnt the secret

    probes = {}

    def fetch(value: str):
        ref = api.submit(description=BEACON.format(value=value, n=1))["reference"]
        probes[value] = ref
        response = api.get(f"/incidents/{ref}", "gridco")
        assert response.status_code == 200
        return response.json

    Differential(SECRET, CONTROL).assert_same(fetch)
    # The check can fail: national staff, shown the national model, do see the difference.
    seen = api.get(f"/incidents/{probes[SECRET]}", "operator").json["category_suggestion"]
    assert (seen["class"], seen["type"], seen["model_version"]) == (
        "malicious-code", "c2-server", "categoriser-national/v2")


def exercise(check, api) -> None:
    """The decision endpoint's success and errors, for the OpenAPI conformance test."""
    runtime = api.world.runtime
    store(runtime, shipped_model())
    categorisation.install(runtime, threshold=0.3)
    try:
        path = f"{PREFIX}/incidents/{{reference}}/category-decision"
        ref = api.submit(description=PHISHING)["reference"]
        url = f"{PREFIX}/incidents/{ref}/category-decision"
        c, op_key = api.client, bearer(api.key("operator"))
        check(path, "post", c.post(url, json={"category": "fraud/nope"}, headers=op_key))  # 422
        check(path, "post", c.post(url, json={}, headers=bearer(api.key("gridco"))))  # 403
        check(path, "post", c.post(url, json={}, headers=op_key))
        given = api.submit(description=PHISHING, category="fraud/phishing")["reference"]
        check(path, "post", c.post(f"{PREFIX}/incidents/{given}/category-decision", json={}, headers=op_key))  # 409
    finally:
        categorisation.uninstall(runtime)
