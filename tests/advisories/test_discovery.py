"""What a CSAF aggregator reads beyond the documents (CSAF 2.0 §7.1): the ROLIE service and category
documents (requirements 16 and 17), security.txt (requirement 8, RFC 9116), OpenPGP signatures and the
public key (requirements 19 and 20) when a signing key is configured; and how a withdrawn advisory
reads on the public pages, the Atom and ROLIE feeds and in its CSAF document."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest

from ncert.config import ConfigError, Settings
from ncert.db import transaction
from ncert.services import advisories
from tests.advisories.helpers import content, publish
from tests.advisories.test_public import (
    ATOM,
    CSAF_SCHEMA,
    HTTPS,
    PROVIDER_SCHEMA,
    ROLIE_SCHEMA,
    _documents,
    _local,
    validate,
)

REASON = "The vendor retracted the flaw: no product was affected"


def _withdraw(world, ref: str, reason: str = REASON) -> None:
    with transaction(world.runtime.sessions) as s:
        advisories.withdraw(s, world.operator, ref, reason)


# -- a withdrawn advisory, as the public reads it ------------------------------------------------------------


def test_a_withdrawn_advisorys_csaf_document_stays_final_and_says_why(client, world):
    ref = publish(world)
    other = publish(world, content(texts={"en": {"title": "Phishing", "summary": "Fake pages."}}, cves=[]))
    _withdraw(world, ref)
    provider = client.get("/.well-known/csaf/provider-metadata.json").get_json()
    docs = _documents(client, provider)
    assert set(docs) == {ref, other}  # it stays where it was published (§7.1.11)
    for doc in docs.values():
        validate(doc, CSAF_SCHEMA)
    meta = docs[ref]["document"]
    tracking = meta["tracking"]
    assert tracking["status"] == "final" and tracking["version"] == "2"
    assert [(r["number"], r["summary"]) for r in tracking["revision_history"]] == [
        ("1", "Initial version"), ("2", f"Withdrawn: {REASON}")]
    assert tracking["current_release_date"] == tracking["revision_history"][-1]["date"]
    [note] = [n for n in meta["notes"] if n["title"] == "Reasoning for Withdrawal"]
    assert note["category"] == "description" and note["text"].endswith(REASON)
    assert docs[ref]["vulnerabilities"][0]["cve"] == "CVE-2026-12345"  # what it said stays readable
    assert "Reasoning for Withdrawal" not in str(docs[other])
    # Aggregators re-read it: changes.csv and the ROLIE feed carry the withdrawal's date, first.
    rows = list(csv.reader(io.StringIO(client.get("/.well-known/csaf/white/changes.csv").get_data(as_text=True))))
    assert rows[0] == [f"{tracking['initial_release_date'][:4]}/{ref.lower()}.json", tracking["current_release_date"]]
    feed = client.get("/.well-known/csaf/feed-tlp-white.json", **HTTPS).get_json()
    validate(feed, ROLIE_SCHEMA)
    entry = feed["feed"]["entry"][0]
    assert entry["id"] == ref and entry["updated"] == tracking["current_release_date"]


def test_a_withdrawn_advisory_is_marked_on_its_page_in_the_list_and_in_the_atom_feed(client, world):
    ref = publish(world)
    standing = publish(world, content(texts={"en": {"title": "Phishing", "summary": "Fake pages."}}))
    _withdraw(world, ref)
    page = client.get(f"/advisories/{ref}?lang=en").get_data(as_text=True)
    banner = page[page.index('id="withdrawn"'):page.index("</div>", page.index('id="withdrawn"'))]
    assert "This advisory was withdrawn on" in banner and REASON in banner
    history = page[page.index('id="history"'):]
    assert f"Withdrawn: {REASON}" in history and "Initial version" in history
    assert "Exploited flaw in ExampleVPN gateways" in page  # what it said stays readable
    older = client.get(f"/advisories/{ref}?revision=1").get_data(as_text=True)
    assert 'id="withdrawn"' in older  # every revision's page says the advisory is withdrawn
    assert 'id="withdrawn"' not in client.get(f"/advisories/{standing}").get_data(as_text=True)
    azerbaijani = client.get(f"/advisories/{ref}?lang=az").get_data(as_text=True)
    assert "This advisory was withdrawn" not in azerbaijani and REASON in azerbaijani
    listing = client.get("/advisories/").get_data(as_text=True)
    row = listing[listing.index(ref):listing.index("</tr>", listing.index(ref))]
    assert "withdrawn" in row
    other_row = listing[listing.index(standing):listing.index("</tr>", listing.index(standing))]
    assert "withdrawn" not in other_row
    entries = {e.find(f"{ATOM}id").text.rsplit("/", 1)[1]: e
               for e in ET.fromstring(client.get("/advisories/feed.atom?lang=en").data).findall(f"{ATOM}entry")}
    entry = entries[ref]
    assert entry.find(f"{ATOM}title").text == f"{ref} (withdrawn): Exploited flaw in ExampleVPN gateways"
    assert entry.find(f"{ATOM}summary").text.startswith(f"Withdrawn: {REASON}")
    assert {c.get("term") for c in entry.findall(f"{ATOM}category")} == {"high", "withdrawn"}
    assert "withdrawn" not in {c.get("term") for c in entries[standing].findall(f"{ATOM}category")}


# -- ROLIE service and category documents ----------------------------------------------------------------------


def test_the_rolie_service_document_lists_exactly_the_provider_metadatas_feeds(client, world):
    """§7.1.16: next to the provider metadata (where the CSAF tools' checker looks: service.json), an
    RFC 8322 service document listing the feeds, each with its csaf information-type category; the
    feed links back to it."""
    publish(world)
    provider = client.get("/.well-known/csaf/provider-metadata.json", **HTTPS).get_json()
    feeds = {f["url"] for d in provider["distributions"] if "rolie" in d for f in d["rolie"]["feeds"]}
    response = client.get("/.well-known/csaf/service.json", **HTTPS)
    assert response.status_code == 200 and response.mimetype == "application/json"
    service = response.get_json()["service"]
    [workspace] = service["workspace"]
    assert workspace["title"]
    assert {c["href"] for c in workspace["collection"]} == feeds
    [collection] = workspace["collection"]
    assert collection["title"] == client.get(_local(collection["href"])).get_json()["feed"]["title"]
    assert collection["categories"]["category"] == [
        {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}]
    assert collection["categories"]["href"] == "https://advisories.example/.well-known/csaf/category-white.json"
    feed = client.get(_local(collection["href"]), **HTTPS).get_json()["feed"]
    assert {"rel": "service", "href": "https://advisories.example/.well-known/csaf/service.json"} in feed["link"]


def test_the_rolie_category_document_dissects_the_published_documents(client, world):
    """§7.1.17: the feed's category document (next to the feed, category-white.json), with the terms the
    specification suggests: document category, languages, product names, and here the CVEs; nothing of
    an unpublished draft."""
    publish(world)
    publish(world, content(texts={"ru": {"title": "Фишинг", "summary": "Письма."}}, cves=["CVE-2026-20001"],
                           products=[{"name": "Mail gateways"}]))
    with transaction(world.runtime.sessions) as s:
        advisories.create(s, world.operator, content(products=[{"name": "Secret product"}],
                                                     cves=["CVE-2026-99999"]))
    feed = client.get("/.well-known/csaf/feed-tlp-white.json").get_json()["feed"]
    [related] = [link["href"] for link in feed["link"] if link["rel"] == "related"]
    response = client.get(_local(related))
    assert response.status_code == 200 and response.mimetype == "application/json"
    terms = [c["term"] for c in response.get_json()["categories"]["category"]]
    assert terms == ["csaf_security_advisory", "en", "ru", "ExampleVPN Gateway 9.1", "Legacy appliances (all versions)",
                     "Mail gateways", "CVE-2026-12345", "CVE-2026-20001"]
    assert client.get(_local(related)).get_json() == response.get_json()  # the same each time


def test_an_empty_provider_still_has_its_service_and_category_documents(client, world):
    assert client.get("/.well-known/csaf/service.json").status_code == 200
    assert client.get("/.well-known/csaf/category-white.json").get_json() == {
        "categories": {"category": [{"term": "csaf_security_advisory"}]}}


# -- security.txt --------------------------------------------------------------------------------------------


def _fields(text: str) -> list[tuple[str, str]]:
    """RFC 9116 §3 (the ABNF of RFC 9116 §4): one "Name: value" per line, lines ending in a line break."""
    assert text.endswith("\n")
    found = []
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        assert sep and name and value.strip() == value, line
        found.append((name, value))
    return found


def test_security_txt_names_the_provider_metadata(client, world):
    response = client.get("/.well-known/security.txt", **HTTPS)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"  # RFC 9116 §3
    fields = _fields(response.get_data(as_text=True))
    names = [name for name, _ in fields]
    assert names.count("Expires") == 1 and names.count("Contact") >= 1  # §2.5.3, §2.5.5: required
    values = dict(fields)
    assert values["CSAF"] == "https://advisories.example/.well-known/csaf/provider-metadata.json"
    assert client.get(_local(values["CSAF"]), **HTTPS).get_json()["role"].startswith("csaf_")
    assert values["Canonical"] == "https://advisories.example/.well-known/security.txt"
    assert values["Preferred-Languages"] == "az, en, ru"
    expires = datetime.strptime(values["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    now = datetime.now(timezone.utc)
    assert now < expires < now + timedelta(days=365)  # §2.5.5: less than a year ahead
    # By default the contact is the national organisation's address, else the site itself.
    from ncert.models import Organization

    with world.runtime.sessions() as s:
        email = s.get(Organization, world.orgs["national-cert"]).contact_email
    assert values["Contact"] == (f"mailto:{email}" if email else "https://advisories.example/")


def test_security_txt_takes_its_contact_and_expiry_from_the_settings(world, runtime):
    from ncert.web import create_app

    settings = Settings.from_env({"NCERT_DATA_DIR": str(runtime.settings.data_dir),
                                  "NCERT_DATABASE_URL": runtime.settings.database_url, "NCERT_SECRET_KEY": "x",
                                  "NCERT_SECURITY_CONTACT": "mailto:cert@cert.example, https://cert.example/report",
                                  "NCERT_SECURITY_TXT_EXPIRES": "2031-06-30T12:00:00+04:00"})
    app = create_app(dataclasses.replace(runtime, settings=settings))
    fields = _fields(app.test_client().get("/.well-known/security.txt").get_data(as_text=True))
    assert [v for n, v in fields if n == "Contact"] == ["mailto:cert@cert.example", "https://cert.example/report"]
    assert dict(fields)["Expires"] == "2031-06-30T08:00:00Z"


@pytest.mark.parametrize("env, variable", [
    ({"NCERT_SECURITY_CONTACT": "cert@cert.example"}, "NCERT_SECURITY_CONTACT"),
    ({"NCERT_SECURITY_CONTACT": "http://cert.example/"}, "NCERT_SECURITY_CONTACT"),
    ({"NCERT_SECURITY_TXT_EXPIRES": "2031-06-30"}, "NCERT_SECURITY_TXT_EXPIRES"),
    ({"NCERT_SECURITY_TXT_EXPIRES": "next year"}, "NCERT_SECURITY_TXT_EXPIRES"),
    ({"NCERT_CSAF_OPENPGP_KEY": "/nonexistent/key.asc"}, "NCERT_CSAF_OPENPGP_KEY"),
])
def test_bad_discovery_settings_stop_start_up(tmp_path, env, variable):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({"NCERT_DATA_DIR": str(tmp_path), **env})


# -- OpenPGP signatures (requirements 19 and 20) ----------------------------------------------------------------

# CI installs gnupg: there a missing binary fails the tests (GnuPG refuses to start), never skips them.
needs_gpg = pytest.mark.skipif(shutil.which("gpg") is None and os.environ.get("CI") != "true",
                               reason="signing needs the gpg binary (GnuPG 2: apt-get install gnupg)")


class Keyring:
    """A throwaway GnuPG home (short path: gpg-agent's socket has a length limit) that makes keys and
    verifies signatures; its agent is stopped and the home removed afterwards."""

    def __init__(self):
        import gnupg

        self.home = tempfile.mkdtemp(prefix="ncert-test-pgp-")
        self.gpg = gnupg.GPG(gnupghome=self.home)

    def secret_key(self, path, passphrase: str | None = None) -> str:
        """Make an Ed25519 signing key, write it ASCII-armoured to ``path``; returns its fingerprint."""
        spec = self.gpg.gen_key_input(key_type="EDDSA", key_curve="ed25519", key_usage="sign",
                                      name_real="ncert test CSAF signing", name_email="csaf@ncert.test",
                                      expire_date=0, passphrase=passphrase, no_protection=passphrase is None)
        fingerprint = self.gpg.gen_key(spec).fingerprint
        assert fingerprint
        path.write_text(self.gpg.export_keys(fingerprint, secret=True, passphrase=passphrase,
                                             expect_passphrase=passphrase is not None))
        return fingerprint

    def close(self) -> None:
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "gpg-agent"], check=False, capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def keyring():
    ring = Keyring()
    yield ring
    ring.close()


@pytest.fixture
def signing(runtime, world, keyring, tmp_path):
    """An app whose CSAF documents are signed with a throwaway key: (client, fingerprint)."""
    from ncert.web import create_app

    key_file = tmp_path / "csaf-signing.asc"
    fingerprint = keyring.secret_key(key_file)
    app = create_app(dataclasses.replace(runtime, settings=dataclasses.replace(runtime.settings,
                                                                               csaf_openpgp_key=key_file)))
    yield app.test_client(), fingerprint
    app.extensions["ncert_csaf_signer"].close()


@needs_gpg
def test_signed_documents_verify_against_the_published_key(signing, world, keyring):
    client, fingerprint = signing
    ref = publish(world)
    _withdraw(world, publish(world, content(cves=[])))  # a withdrawn one is signed as it now reads
    provider = client.get("/.well-known/csaf/provider-metadata.json", **HTTPS).get_json()
    validate(provider, PROVIDER_SCHEMA)
    assert provider["role"] == "csaf_trusted_provider"  # requirements 18 to 20 (§7.2.3)
    [key] = provider["pgp_keys"]
    assert key == {"fingerprint": fingerprint,
                   "url": f"https://advisories.example/.well-known/csaf/openpgp/{fingerprint}.asc"}
    published_key = client.get(_local(key["url"]), **HTTPS)
    assert published_key.status_code == 200 and published_key.mimetype == "application/pgp-keys"
    armour = published_key.get_data(as_text=True)
    assert "BEGIN PGP PUBLIC KEY BLOCK" in armour and "PRIVATE" not in armour
    # A reader with only the published key: a fresh keyring.
    reader = Keyring()
    try:
        assert reader.gpg.import_keys(armour).fingerprints == [fingerprint]
        feed = client.get("/.well-known/csaf/feed-tlp-white.json", **HTTPS).get_json()
        validate(feed, ROLIE_SCHEMA)
        assert len(feed["feed"]["entry"]) == 2
        for entry in feed["feed"]["entry"]:
            [url] = [link["href"] for link in entry["link"] if link["rel"] == "self"]
            [signature_url] = [link["href"] for link in entry["link"] if link["rel"] == "signature"]
            assert signature_url == f"{url}.asc"  # §7.1.15, §7.1.19
            served = client.get(_local(url), **HTTPS).data
            signature = client.get(_local(signature_url), **HTTPS)
            assert signature.status_code == 200 and signature.mimetype == "application/pgp-signature"
            assert signature.get_data(as_text=True).startswith("-----BEGIN PGP SIGNATURE-----")
            sig_file = f"{reader.home}/document.asc"
            with open(sig_file, "wb") as out:
                out.write(signature.data)
            verified = reader.gpg.verify_data(sig_file, served)
            assert verified.valid and verified.fingerprint == fingerprint, verified.status
            assert not reader.gpg.verify_data(sig_file, served + b" ").valid  # the check is real
            assert client.get(_local(signature_url), **HTTPS).data == signature.data  # same bytes, same signature
        # §7.1.14: the year's listing names each signature beside its document.
        year, name = _local(url).rsplit("/", 2)[1:]
        assert f'href="{name}.asc"' in client.get(f"/.well-known/csaf/white/{year}/").get_data(as_text=True)
        assert ref
    finally:
        reader.close()


def test_without_a_key_nothing_is_signed_and_no_key_is_named(client, world):
    ref = publish(world)
    provider = client.get("/.well-known/csaf/provider-metadata.json").get_json()
    assert "pgp_keys" not in provider and provider["role"] == "csaf_provider"
    [line] = client.get("/.well-known/csaf/white/index.txt").get_data(as_text=True).split()
    assert client.get(f"/.well-known/csaf/white/{line}.asc").status_code == 404
    assert ".asc" not in client.get(f"/.well-known/csaf/white/{line.split('/')[0]}/").get_data(as_text=True)
    feed = client.get("/.well-known/csaf/feed-tlp-white.json").get_json()["feed"]
    assert all(link["rel"] != "signature" for e in feed["entry"] for link in e["link"])
    assert client.get("/.well-known/csaf/openpgp/anything.asc").status_code == 404
    assert ref


@needs_gpg
def test_a_protected_key_signs_with_its_passphrase_and_a_wrong_one_stops_start_up(runtime, world, keyring, tmp_path):
    from ncert.web import create_app

    key_file = tmp_path / "protected.asc"
    fingerprint = keyring.secret_key(key_file, passphrase="correct horse battery staple")
    signed = dataclasses.replace(runtime.settings, csaf_openpgp_key=key_file,
                                 csaf_openpgp_passphrase="correct horse battery staple")
    app = create_app(dataclasses.replace(runtime, settings=signed))
    try:
        assert app.test_client().get("/.well-known/csaf/provider-metadata.json").get_json()["pgp_keys"][0][
            "fingerprint"] == fingerprint
    finally:
        app.extensions["ncert_csaf_signer"].close()
    wrong = dataclasses.replace(signed, csaf_openpgp_passphrase="wrong")
    with pytest.raises(ConfigError, match="NCERT_CSAF_OPENPGP_KEY"):
        create_app(dataclasses.replace(runtime, settings=wrong))


@needs_gpg
def test_a_key_file_without_a_secret_key_stops_start_up(runtime, world, keyring, tmp_path):
    from ncert.web import create_app

    key_file = tmp_path / "secret.asc"
    fingerprint = keyring.secret_key(key_file)
    public_only = tmp_path / "public.asc"
    public_only.write_text(keyring.gpg.export_keys(fingerprint))
    for path in (public_only, tmp_path / "empty.asc"):
        path.touch()
        with pytest.raises(ConfigError, match="holds no OpenPGP secret key"):
            create_app(dataclasses.replace(runtime, settings=dataclasses.replace(runtime.settings,
                                                                                 csaf_openpgp_key=path)))
