"""STIX 2.1 export and TAXII publishing from the incident page."""

from __future__ import annotations

import orjson
import pytest
from stix2validator import ValidationOptions, validate_instance

from tests.console.helpers import flashes
from tests.taxii.conftest import collections  # noqa: F401  (fixture)

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def ref(world) -> str:
    return world.submit(world.actor("analyst@gridco.test"), title="Phishing kit targeting grid operators",
                        tlp="TLP:AMBER", category="fraud/phishing",
                        indicators=[{"type": "domain-name", "value": "grid-login.example.net"}])


def test_export_downloads_a_valid_bundle_for_anyone_who_may_see_it(as_user, ref):
    response = as_user("analyst@gridco.test").get(f"/incidents/{ref}/stix")
    assert response.status_code == 200 and response.content_type == "application/stix+json;version=2.1"
    assert f'filename="{ref}.stix.json"' in response.headers["Content-Disposition"]
    bundle = orjson.loads(response.data)
    assert all(validate_instance(o, ValidationOptions(version="2.1")).is_valid for o in bundle["objects"])
    assert as_user("analyst@powergen.test").get(f"/incidents/{ref}/stix").status_code == 404


def test_operator_publishes_to_sector_certs(as_user, ref, world, collections, client):  # noqa: F811
    operator = as_user("operator@ncert.test")
    response = operator.post(f"/incidents/{ref}/publish", {"publish-collection": "national-sector-certs",
                                                           "publish-tlp": "TLP:GREEN"},
                             form_page=f"/incidents/{ref}", follow_redirects=True)
    (kind, text), = flashes(response)
    assert kind == "success" and "national-sector-certs as TLP:GREEN" in text
    got = client.get(f"/taxii2/ncert/collections/{collections['national-sector-certs']}/objects/",
                     headers={"Authorization": f"Bearer {world.key('energy-cert')}", "Accept": TAXII}).json
    assert any(o["type"] == "incident" and o["name"] == "Phishing kit targeting grid operators"
               for o in got["objects"])


def test_publishing_above_green_is_refused_and_analysts_get_no_form(as_user, ref, collections):  # noqa: F811
    operator = as_user("operator@ncert.test")
    response = operator.post(f"/incidents/{ref}/publish", {"publish-collection": "national-partners",
                                                           "publish-tlp": "TLP:AMBER"},
                             form_page=f"/incidents/{ref}", follow_redirects=True)
    assert [k for k, _ in flashes(response)] == ["error"]
    analyst = as_user("analyst@gridco.test")
    assert "Publish over TAXII" not in analyst.text(f"/incidents/{ref}")
    refused = analyst.post(f"/incidents/{ref}/publish", {"publish-collection": "national-sector-certs",
                                                         "publish-tlp": "TLP:GREEN"}, form_page=f"/incidents/{ref}")
    assert refused.status_code in (302, 403)
