"""The public advisory pages, the Atom feed and the CSAF provider: anonymous, script-free,
valid against RFC 4287 and the CSAF 2.0 schemas, and carrying nothing but published revisions."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ncert.db import transaction
from ncert.public import csaf
from ncert.services import advisories
from tests.advisories.helpers import content, publish

SCHEMAS = Path(__file__).parent / "csaf_schemas"
ATOM = "{http://www.w3.org/2005/Atom}"
CSAF_SCHEMA = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
PROVIDER_SCHEMA = "https://docs.oasis-open.org/csaf/csaf/v2.0/provider_json_schema.json"
ROLIE_SCHEMA = "https://raw.githubusercontent.com/oasis-tcs/csaf/master/csaf_2.0/json_schema/ROLIE_feed_json_schema.json"


def _registry() -> Registry:
    by_id = {CSAF_SCHEMA: "csaf_json_schema.json", PROVIDER_SCHEMA: "provider_json_schema.json",
             ROLIE_SCHEMA: "ROLIE_feed_json_schema.json",
             **{f"https://www.first.org/cvss/cvss-v{v}.json": f"cvss-v{v}.json" for v in ("2.0", "3.0", "3.1")}}
    return Registry().with_resources(
        (uri, Resource.from_contents(json.loads((SCHEMAS / name).read_text()), default_specification=DRAFT202012))
        for uri, name in by_id.items())


REGISTRY = _registry()


def validate(document: dict, schema_uri: str) -> None:
    schema = REGISTRY.contents(schema_uri)
    errors = sorted(Draft202012Validator(schema, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER)
                    .iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors]


def _local(url: str) -> str:
    return urlsplit(url).path


def test_the_schemas_catch_a_broken_document(client, world):
    """The validation is real: a document without its tracking fails."""
    ref = publish(world)
    provider = client.get("/.well-known/csaf/provider-metadata.json").get_json()
    doc = _documents(client, provider)[ref]
    del doc["document"]["tracking"]["revision_history"]
    with pytest.raises(AssertionError, match="revision_history"):
        validate(doc, CSAF_SCHEMA)


def _documents(client, provider: dict) -> dict[str, dict]:
    """Every CSAF document the provider metadata leads to (its directory's index.txt), by tracking id."""
    directory = provider["distributions"][0]["directory_url"]
    index = client.get(_local(directory) + "index.txt")
    assert index.status_code == 200 and index.mimetype == "text/plain"
    found = {}
    for line in index.get_data(as_text=True).splitlines():
        response = client.get(_local(directory) + line)
        assert response.status_code == 200 and response.mimetype == "application/json", line
        doc = response.get_json()
        found[doc["document"]["tracking"]["id"]] = doc
    return found


def test_provider_metadata_and_documents_are_valid_csaf(client, world):
    ref = publish(world)
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.operator, ref, content(severity="critical", change_summary="Exploited widely",
                                                          cves=["CVE-2026-12345", "CVE-2026-12346"]))
        advisories.submit(s, world.operator, ref, 2)
        advisories.approve(s, world.admin, ref, 2)
        advisories.publish(s, world.operator, ref, 2)
    publish(world, content(cves=[], texts={"ru": {"title": "Фишинг", "summary": "Рассылка писем."}}))
    response = client.get("/.well-known/csaf/provider-metadata.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    provider = response.get_json()
    validate(provider, PROVIDER_SCHEMA)
    assert provider["role"] == "csaf_provider"
    assert provider["canonical_url"] == "http://localhost/.well-known/csaf/provider-metadata.json"
    docs = _documents(client, provider)
    assert len(docs) == 2
    for doc in docs.values():
        validate(doc, CSAF_SCHEMA)
    doc = docs[ref]
    meta = doc["document"]
    assert meta["category"] == "csaf_security_advisory" and meta["csaf_version"] == "2.0"
    assert meta["distribution"]["tlp"]["label"] == "WHITE" and meta["lang"] == "en"
    assert meta["tracking"]["version"] == "2" and meta["tracking"]["status"] == "final"
    assert [(r["number"], r["summary"]) for r in meta["tracking"]["revision_history"]] == [
        ("1", "Initial version"), ("2", "Exploited widely")]
    assert meta["tracking"]["initial_release_date"] == meta["tracking"]["revision_history"][0]["date"]
    assert meta["aggregate_severity"]["text"] == "critical"
    assert {n["category"] for n in meta["notes"]} == {"summary", "details"}
    assert "ipv4-addr: 198.51.100.23" in meta["notes"][1]["text"]
    assert {"category": "external", "summary": "Vendor advisory",
            "url": "https://vendor.example/psirt/2026-01"} in meta["references"]
    products = doc["product_tree"]["full_product_names"]
    assert products[0]["product_identification_helper"]["cpe"].startswith("cpe:2.3:a:example:examplevpn")
    assert [v["cve"] for v in doc["vulnerabilities"]] == ["CVE-2026-12345", "CVE-2026-12346"]
    ids = [p["product_id"] for p in products]
    for vulnerability in doc["vulnerabilities"]:
        assert vulnerability["product_status"]["known_affected"] == ids
        assert vulnerability["remediations"][0]["details"] == "Install version 9.1.3 and rotate VPN credentials."
    russian = next(d for key, d in docs.items() if key != ref)
    assert russian["document"]["lang"] == "ru" and "cve" not in russian["vulnerabilities"][0]
    # §7.1.13: changes.csv names each document with its current release date, the latest first.
    rows = list(csv.reader(io.StringIO(client.get("/.well-known/csaf/white/changes.csv").get_data(as_text=True))))
    assert [row[0] for row in rows] == [f"{d['document']['tracking']['initial_release_date'][:4]}/"
                                        f"{d['document']['tracking']['id'].lower()}.json"
                                        for d in sorted(docs.values(),
                                                        key=lambda d: d["document"]["tracking"]["current_release_date"],
                                                        reverse=True)]


def test_the_atom_feed_is_rfc_4287(client, world):
    first = publish(world)
    second = publish(world, content(texts={"az": {"title": "Fişinq kampaniyası", "summary": "Kiberinsident."}}))
    response = client.get("/advisories/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    # §4.1.1: a feed has exactly one id, title and updated, and an author (no entry names one).
    for name in ("id", "title", "updated", "author"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "National CERT"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/advisories/feed.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text for e in entries] == [f"http://localhost/advisories/{ref}"
                                                           for ref in (second, first)]
    for entry in entries:  # §4.1.2: id, title, updated; an alternate link as there is no content
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert entry.find(f"{ATOM}link[@rel='alternate'][@type='text/html']") is not None
    assert entries[0].get("{http://www.w3.org/XML/1998/namespace}lang") == "az"
    assert entries[0].find(f"{ATOM}title").text == f"{second}: Fişinq kampaniyası"
    csaf_link = entries[1].find(f"{ATOM}link[@type='application/json']").get("href")
    assert client.get(_local(csaf_link)).get_json()["document"]["tracking"]["id"] == first


def test_public_pages_need_no_login_and_no_script(client, world):
    ref = publish(world)
    listing = client.get("/advisories/")
    page = client.get(f"/advisories/{ref}?lang=az")
    for response in (listing, page):
        assert response.status_code == 200
        assert "<script" not in response.get_data(as_text=True)
        assert "script-src" not in response.headers["Content-Security-Policy"]
    text = page.get_data(as_text=True)
    assert '<html lang="az">' in text and "ExampleVPN şlüzlərində istismar olunan zəiflik" in text
    assert "Accept-Language" in page.headers["Vary"]
    assert ref in listing.get_data(as_text=True)
    english = client.get(f"/advisories/{ref}", headers={"Accept-Language": "ru, en;q=0.8"}).get_data(as_text=True)
    assert "Exploited flaw in ExampleVPN gateways" in english  # no Russian text: the next language asked for


def test_the_page_shows_the_latest_revision_with_its_history(client, world):
    ref = publish(world)
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.operator, ref, content(severity="critical", change_summary="Exploited widely"))
    assert '<dd id="severity">high</dd>' in client.get(f"/advisories/{ref}").get_data(as_text=True)  # a draft waits
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.operator, ref, 2)
        advisories.approve(s, world.actor("leader@ncert.test"), ref, 2)
        advisories.publish(s, world.operator, ref, 2)
    page = client.get(f"/advisories/{ref}").get_data(as_text=True)
    assert '<dd id="severity">critical</dd>' in page
    history = page[page.index('id="history"'):]
    assert "Exploited widely" in history and "Initial version" in history
    older = client.get(f"/advisories/{ref}?revision=1").get_data(as_text=True)
    assert '<dd id="severity">high</dd>' in older and "a later revision exists" in older
    assert client.get(f"/advisories/{ref}?revision=3").status_code == 404


def test_unpublished_advisories_are_nowhere_public(client, world):
    with transaction(world.runtime.sessions) as s:
        draft = advisories.create(s, world.operator, content(texts={"en": {"title": "Secret draft", "summary": "x"}}))
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.operator, draft.reference, 1)
        advisories.approve(s, world.admin, draft.reference, 1)  # approved, not yet published
    assert client.get(f"/advisories/{draft.reference}").status_code == 404
    name = draft.reference.lower() + ".json"
    assert client.get(f"/.well-known/csaf/white/{draft.created_at.year}/{name}").status_code == 404
    assert client.get(f"/.well-known/csaf/white/{draft.created_at.year}/{name}.sha512").status_code == 404
    for url in ("/advisories/", "/advisories/feed.atom", "/.well-known/csaf/white/index.txt",
                "/.well-known/csaf/white/changes.csv", f"/.well-known/csaf/{csaf.ROLIE_FEED}"):
        body = client.get(url).get_data(as_text=True)
        assert draft.reference not in body and "Secret draft" not in body, url


def test_public_output_carries_no_internal_data(client, world):
    """Drafted from incidents, published by named staff: none of that is on any public URL."""
    gridco = world.actor("analyst@gridco.test")
    incident = world.submit(gridco, title="GridCo VPN breach", tlp="TLP:CLEAR",
                            indicators=[{"type": "ipv4-addr", "value": "198.51.100.23"}])
    ref = publish(world, sources=[incident])
    provider = client.get("/.well-known/csaf/provider-metadata.json").get_json()
    directory = _local(provider["distributions"][0]["directory_url"])
    urls = ["/advisories/", f"/advisories/{ref}", f"/advisories/{ref}?revision=1", "/advisories/feed.atom",
            "/.well-known/csaf/provider-metadata.json", directory, f"{directory}index.txt", f"{directory}changes.csv",
            *(directory + line + ext for line in client.get(f"{directory}index.txt").get_data(as_text=True).split()
              for ext in ("", ".sha256", ".sha512")),
            _local(provider["distributions"][1]["rolie"]["feeds"][0]["url"])]
    internal = (incident, "NC-", "GridCo", "gridco", "operator@ncert.test", "leader@ncert.test", "TLP:AMBER",
                "TLP:RED")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert not [word for word in internal if word in body], url
    assert "198.51.100.23" in client.get(f"/advisories/{ref}").get_data(as_text=True)  # what was published is


def test_an_unknown_advisory_is_a_plain_404(client, world):
    response = client.get("/advisories/NCERT-SA-2026-9999")
    assert response.status_code == 404 and "<script" not in response.get_data(as_text=True)
    assert client.get("/.well-known/csaf/white/2026/nothing.json").status_code == 404


HTTPS = {"base_url": "https://advisories.example"}  # requirement 3 (§7.1.3): served over TLS


def _hash_checked(client, document_url: str, served: bytes, **kw) -> None:
    """§7.1.18: each hash file starts with the hexadecimal hash of the bytes the document URL serves,
    then (after a space) the document's filename."""
    for algorithm in ("sha256", "sha512"):
        response = client.get(f"{_local(document_url)}.{algorithm}", **kw)
        assert response.status_code == 200 and response.mimetype == "text/plain", algorithm
        digest, name = response.get_data(as_text=True).split()
        assert digest == hashlib.new(algorithm, served).hexdigest(), algorithm
        assert name == document_url.rsplit("/", 1)[1]


def test_every_document_has_hash_files_of_its_served_bytes(client, world):
    ref = publish(world)
    provider = client.get("/.well-known/csaf/provider-metadata.json").get_json()
    directory = provider["distributions"][0]["directory_url"]
    [line] = client.get(_local(directory) + "index.txt").get_data(as_text=True).split()
    served = client.get(_local(directory) + line).data
    _hash_checked(client, directory + line, served)
    # A hash of other bytes would not match: the check is real.
    assert hashlib.sha256(served + b" ").hexdigest() not in client.get(
        _local(directory) + line + ".sha256").get_data(as_text=True)
    # §7.1.14: the year's listing names the document and its hash files.
    year, name = line.split("/")
    listing = client.get(f"{_local(directory)}{year}/").get_data(as_text=True)
    for entry in (name, f"{name}.sha256", f"{name}.sha512"):
        assert f'href="{entry}"' in listing
    assert name == f"{ref.lower()}.json"
    for missing in (f"{name}.md5", f"{name}.sha1", f"{name}.sha256.sha256"):
        assert client.get(f"{_local(directory)}{year}/{missing}").status_code == 404, missing


def test_the_rolie_feed_leads_to_every_document_and_its_hashes(client, world):
    """§7.1.15 (requirement 15): the provider metadata names a ROLIE feed for TLP:WHITE; the feed
    carries the csaf category and one entry per document, whose self link and content are the
    document (valid CSAF 2.0), whose hash links are its hash files, with its id, title and dates."""
    first = publish(world)
    second = publish(world, content(texts={"az": {"title": "Fişinq kampaniyası", "summary": "Kiberinsident."}}))
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.operator, first, content(severity="critical", change_summary="Exploited widely"))
        advisories.submit(s, world.operator, first, 2)
        advisories.approve(s, world.admin, first, 2)
        advisories.publish(s, world.operator, first, 2)
    provider = client.get("/.well-known/csaf/provider-metadata.json", **HTTPS).get_json()
    validate(provider, PROVIDER_SCHEMA)
    [rolie] = [d["rolie"] for d in provider["distributions"] if "rolie" in d]
    [listed] = rolie["feeds"]
    assert listed["tlp_label"] == "WHITE" and listed["url"].startswith("https://advisories.example/")
    response = client.get(_local(listed["url"]), **HTTPS)
    assert response.status_code == 200 and response.mimetype == "application/json"
    validate(response.get_json(), ROLIE_SCHEMA)
    feed = response.get_json()["feed"]
    assert set(feed) == {"id", "title", "link", "category", "updated", "entry"}
    assert feed["link"] == [{"rel": "self", "href": listed["url"]},
                            {"rel": "service", "href": "https://advisories.example/.well-known/csaf/service.json"},
                            {"rel": "related",
                             "href": "https://advisories.example/.well-known/csaf/category-white.json"}]
    assert feed["category"] == [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}]
    assert [e["id"] for e in feed["entry"]] == [first, second]  # the latest release first
    for entry in feed["entry"]:
        [url] = [link["href"] for link in entry["link"] if link["rel"] == "self"]
        assert url.startswith("https://") and url.endswith(".json")
        assert entry["content"] == {"type": "application/json", "src": url}
        assert entry["format"] == {"schema": CSAF_SCHEMA, "version": "2.0"}
        assert url.rsplit("/", 1)[1] == csaf.filename(entry["id"])  # §5.1
        served = client.get(_local(url), **HTTPS)
        doc = served.get_json()
        validate(doc, CSAF_SCHEMA)
        tracking = doc["document"]["tracking"]
        assert (tracking["id"], doc["document"]["title"]) == (entry["id"], entry["title"])
        assert (tracking["initial_release_date"], tracking["current_release_date"]) == (entry["published"],
                                                                                       entry["updated"])
        assert [link["href"] for link in entry["link"] if link["rel"] == "hash"] == [f"{url}.sha256",
                                                                                     f"{url}.sha512"]
        _hash_checked(client, url, served.data, **HTTPS)
    assert feed["updated"] == feed["entry"][0]["updated"]
    # The directory distribution leads to the same documents.
    assert set(_documents(client, provider)) == {first, second}


def test_an_empty_feed_is_still_a_feed(client, world):
    feed = client.get(f"/.well-known/csaf/{csaf.ROLIE_FEED}").get_json()["feed"]
    assert feed["entry"] == [] and feed["category"][0]["term"] == "csaf"


@pytest.mark.parametrize("tracking_id, name", [
    ("NCERT-SA-2026-0001", "ncert-sa-2026-0001.json"),
    # §5.1's own examples: lower case, each run of other characters than a-z, 0-9, + and - as one _.
    ("Example Company - 2019-YH3234", "example_company_-_2019-yh3234.json"),
    ("RHBA-2019:0024", "rhba-2019_0024.json"),
    ("2022_#01-A", "2022_01-a.json"),
    ("cisco-sa-20190513-secureboot", "cisco-sa-20190513-secureboot.json"),
    ("A+B/Ç", "a+b_.json"),
])
def test_document_filenames_follow_section_5_1(tracking_id, name):
    assert csaf.filename(tracking_id) == name
