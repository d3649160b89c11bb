"""`ncert demo` publishes three advisories in Azerbaijani and English, one of them in two revisions."""

from __future__ import annotations

from ncert.db import transaction
from ncert.public import csaf
from ncert.services import directory
from ncert.web import create_app
from tests.advisories.test_public import CSAF_SCHEMA, _documents, validate


def test_the_demo_publishes_three_advisories(ncert, runtime):
    assert ncert("init").exit_code == 0
    result = ncert("demo", "--incidents", "10", "--days", "7", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert "3 public advisories" in result.output
    client = create_app(runtime).test_client()
    listing = client.get("/advisories/?lang=az").get_data(as_text=True)
    assert listing.count('href="/advisories/NCERT-SA-') == 3
    assert "Elektron hökumət xidmətləri adından fişinq kampaniyası" in listing
    docs = _documents(client, client.get("/.well-known/csaf/provider-metadata.json").get_json())
    assert len(docs) == 3
    for doc in docs.values():
        validate(doc, CSAF_SCHEMA)
        assert doc["document"]["lang"] == "en"
    [revised] = [d for d in docs.values() if d["document"]["tracking"]["version"] == "2"]
    assert revised["vulnerabilities"][0]["cve"] == "CVE-2024-21762"
    reference = revised["document"]["tracking"]["id"]
    page = client.get(f"/advisories/{reference}?lang=az").get_data(as_text=True)
    assert "kiberinsident" in page and "203.0.113.45" in page and "Exploitation seen in the country" in page

    # The surfaces added since: the ROLIE feed, the CLI and the REST API show the same three.
    feed = client.get(f"/.well-known/csaf/{csaf.ROLIE_FEED}").get_json()["feed"]
    assert sorted(e["id"] for e in feed["entry"]) == sorted(docs)
    listed = ncert("advisories", "list")
    assert listed.exit_code == 0 and listed.output.count("\tpublished r") == 3
    with transaction(runtime.sessions) as s:
        system = directory.system_actor(s, runtime.settings.national_org, "test")
        _, secret = directory.create_api_key(s, system, org=runtime.settings.national_org, role="leadership")
    api = client.get("/api/v1/advisories", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200 and sorted(a["reference"] for a in api.json["items"]) == sorted(docs)
    assert {a["published_revision"] for a in api.json["items"]} == {1, 2}
