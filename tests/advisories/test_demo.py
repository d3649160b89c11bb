"""`ncert demo` publishes three advisories in Azerbaijani and English, one of them in two revisions."""

from __future__ import annotations

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
