"""Published advisories as CSAF 2.0 documents, profile ``csaf_security_advisory``, and the
provider metadata an aggregator reads (OASIS CSAF Version 2.0, 18 November 2022,
https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html; section numbers below are its own).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

from ncert.services.advisories import PublishedAdvisory

CSAF_VERSION = "2.0"
# CSAF 2.0 names the TLP 1.0 labels (§3.2.1.5.2); TLP 2.0 says CLEAR is what WHITE was
# (https://www.first.org/tlp/), so a TLP:CLEAR advisory is distributed as WHITE.
TLP_LABEL = "WHITE"
DIRECTORY = "white"  # §7.1.11: the directory of each TLP label's documents, one folder per year in it
SCHEMA_URL = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
# §7.1.18: at least one hash file per document, named by appending the algorithm's extension.
HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
ROLIE_FEED = f"feed-tlp-{DIRECTORY}.json"  # §7.1.15: one ROLIE feed per TLP label
# §7.1.16: the ROLIE service document, next to the provider metadata; §7.1.17: the feed's category
# document, next to the feed, named as the CSAF tools' checker looks for it (category-<label>.json).
ROLIE_SERVICE = "service.json"
ROLIE_CATEGORIES = f"category-{DIRECTORY}.json"
INFORMATION_TYPE = {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
SIGNATURE = "asc"  # §7.1.19: an OpenPGP signature file per document, <document name>.asc
OPENPGP_DIRECTORY = "openpgp"  # §7.1.20: the public key, in a folder next to the provider metadata
WITHDRAWAL_NOTE = "Reasoning for Withdrawal"  # the note's title, as CSAF 2.1's csaf_withdrawn profile names it


def filename(tracking_id: str) -> str:
    """§5.1: the tracking id in lower case, every run of other characters than +, -, a-z and 0-9 as _, then .json."""
    return re.sub(r"[^+\-a-z0-9]+", "_", tracking_id.lower()) + ".json"


def path(advisory: PublishedAdvisory) -> str:
    """The document's path under the directory (§7.1.11: the year of its initial release)."""
    return f"{advisory.initial_release.year}/{filename(advisory.reference)}"


def timestamp(value: datetime) -> str:
    """§3.1.12 date and time: RFC 3339 with a time zone; UTC as Z."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def publisher(name: str, namespace: str) -> dict:
    """§3.2.1.8: the national CERT coordinates and publishes others' vulnerability information."""
    return {"category": "coordinator", "name": name, "namespace": namespace}


def document(advisory: PublishedAdvisory, *, lang: str | None, publisher_info: dict, csaf_url: str,
             page_url: str) -> dict:
    """The CSAF document of the advisory's latest published revision, with every published revision in its history.

    A withdrawn advisory's document stays where it is (§7.1.11) and keeps its tracking status ``final``:
    CSAF 2.0's statuses (§3.2.1.12.5: draft, final, interim) say how likely the content is to change, not
    whether it stands. Its last revision-history entry (the withdrawal's version) and a note say it was
    withdrawn and why, so an aggregator that re-reads the changed document (changes.csv, the ROLIE feed's
    updated date) learns it."""
    revision = advisory.latest
    lang, text = revision.text(lang or "en")  # for aggregators, English where there is an English text
    ids = [f"CSAFPID-{n:04d}" for n in range(1, len(revision.products) + 1)]
    products = []
    for product_id, product in zip(ids, revision.products, strict=True):
        entry = {"name": product["name"], "product_id": product_id}
        if product.get("cpe"):
            entry["product_identification_helper"] = {"cpe": product["cpe"]}
        products.append(entry)
    notes = [{"category": "summary", "title": "Summary", "text": text["summary"]}]
    if advisory.withdrawal is not None:
        notes.insert(0, {"category": "description", "title": WITHDRAWAL_NOTE,
                         "text": f"This advisory was withdrawn on {advisory.withdrawal.published_at:%Y-%m-%d}: "
                                 f"{advisory.withdrawal.withdrawal_reason}"})
    if revision.indicators:
        notes.append({"category": "details", "title": "Indicators of compromise",
                      "text": "\n".join(f"{i['type']}: {i['value']}" for i in revision.indicators)})
    references = [{"category": "self", "summary": "This CSAF document", "url": csaf_url},
                  {"category": "self", "summary": "This advisory on the web", "url": page_url}]
    references += [{"category": "external", "summary": r["summary"], "url": r["url"]} for r in revision.references]
    doc = {
        "document": {
            "aggregate_severity": {"text": revision.severity},
            "category": "csaf_security_advisory",
            "csaf_version": CSAF_VERSION,
            "distribution": {"text": "TLP:CLEAR: may be distributed without restriction.",
                             "tlp": {"label": TLP_LABEL, "url": "https://www.first.org/tlp/"}},
            "lang": lang,
            "notes": notes,
            "publisher": publisher_info,
            "references": references,
            "title": text["title"],
            "tracking": {
                "current_release_date": timestamp(advisory.current_release),
                "id": advisory.reference,
                "initial_release_date": timestamp(advisory.initial_release),
                # §3.2.1.12.6: every published version; numbers are the integer versioning of §3.1.11.1.
                "revision_history": [{"date": timestamp(r.published_at), "number": str(r.number),
                                      "summary": _change(r)} for r in advisory.revisions],
                "status": "final",
                "version": str(revision.number),
            },
        },
        # §4.5 (profile 4, security advisory): a product tree and vulnerabilities are required.
        "product_tree": {"full_product_names": products},
        "vulnerabilities": [_vulnerability(cve, ids, text) for cve in revision.cves] or [_vulnerability(None, ids,
                                                                                                          text)],
    }
    return doc


def _change(revision) -> str:
    """A revision-history summary: the withdrawal's says so, with its reason."""
    if revision.withdrawal_reason is not None:
        return f"{revision.change_summary}: {revision.withdrawal_reason}"
    return revision.change_summary


def _vulnerability(cve: str | None, ids: list[str], text: dict) -> dict:
    vulnerability = {"product_status": {"known_affected": ids}}
    if cve:
        vulnerability["cve"] = cve
    else:
        vulnerability["title"] = text["title"]
    if text.get("actions"):
        # §3.2.3.12: a remediation; recommended actions lessen the risk without a fix of their own.
        vulnerability["remediations"] = [{"category": "mitigation", "details": text["actions"], "product_ids": ids}]
    return vulnerability


def hash_file(algorithm: str, body: bytes, name: str) -> str:
    """§7.1.18: the file starts with the hexadecimal hash of the document's bytes; the filename follows
    after a space (the layout ``sha256sum`` writes and checks)."""
    return f"{HASHES[algorithm](body).hexdigest()}  {name}\n"


def provider_metadata(*, canonical_url: str, directory_url: str, feed_url: str, publisher_info: dict,
                      last_updated: datetime, openpgp_key: dict | None = None) -> dict:
    """§7.2.1 provider-metadata.json of a CSAF provider (§7.2.2) distributing through a directory
    (requirements 11–14, §7.1.11–14) and ROLIE (requirements 15–17, §7.1.15–17). With a signing key
    (``{"fingerprint", "url"}``), every document is signed (requirement 19) and the key is named
    (requirement 20): with the hash files (requirement 18) that is a CSAF trusted provider (§7.2.3).
    Without one, nothing is said about keys."""
    metadata = {
        "canonical_url": canonical_url,
        "distributions": [{"directory_url": directory_url},
                          {"rolie": {"feeds": [{"summary": "Every TLP:CLEAR (TLP:WHITE) advisory of the centre",
                                                "tlp_label": TLP_LABEL, "url": feed_url}]}}],
        "last_updated": timestamp(last_updated),
        "list_on_CSAF_aggregators": True,
        "metadata_version": CSAF_VERSION,
        "mirror_on_CSAF_aggregators": True,
        "publisher": publisher_info,
        "role": "csaf_provider",
    }
    if openpgp_key is not None:
        metadata["pgp_keys"] = [openpgp_key]
        metadata["role"] = "csaf_trusted_provider"
    return metadata


def index_txt(advisories: list[PublishedAdvisory]) -> str:
    """§7.1.12 index.txt: each document's path relative to the directory, one per line."""
    return "".join(f"{path(a)}\n" for a in advisories)


def changes_csv(advisories: list[PublishedAdvisory]) -> str:
    """§7.1.13 changes.csv: path and current release date, most recent first."""
    ordered = sorted(advisories, key=lambda a: a.current_release, reverse=True)
    return "".join(f'"{path(a)}","{timestamp(a.current_release)}"\n' for a in ordered)


def rolie_feed(advisories: list[PublishedAdvisory], *, feed_id: str, title: str, feed_url: str,
               document_url, updated: datetime, service_url: str, categories_url: str,
               signed: bool = False) -> dict:
    """§7.1.15 the ROLIE feed (RFC 8322, in its JSON form) of the TLP:WHITE documents, most recent first:
    the csaf information-type category, and per document an entry with its tracking id, title, release
    dates, its URL as the self link and the content, a hash link per hash file, a signature link when
    the documents are signed, and the CSAF format. The feed links its service document (RFC 5023's
    ``service`` relation, §7.1.16) and its category document (§7.1.17)."""
    entries = []
    for advisory in sorted(advisories, key=lambda a: a.current_release, reverse=True):
        url = document_url(advisory)
        _, text = advisory.latest.text("en")  # the document's own title (``document`` picks it alike)
        entries.append({
            "id": advisory.reference,
            "title": text["title"],
            "link": [{"rel": "self", "href": url}, *({"rel": "hash", "href": f"{url}.{algorithm}"}
                                                      for algorithm in HASHES),
                     *([{"rel": "signature", "href": f"{url}.{SIGNATURE}"}] if signed else [])],
            "published": timestamp(advisory.initial_release),
            "updated": timestamp(advisory.current_release),
            "summary": {"content": text["summary"]},
            "content": {"type": "application/json", "src": url},
            "format": {"schema": SCHEMA_URL, "version": CSAF_VERSION},
        })
    return {"feed": {
        "id": feed_id,
        "title": title,
        "link": [{"rel": "self", "href": feed_url}, {"rel": "service", "href": service_url},
                 {"rel": "related", "href": categories_url}],
        "category": [dict(INFORMATION_TYPE)],
        "updated": timestamp(updated),
        "entry": entries,
    }}


def service_document(*, title: str, feed_title: str, feed_url: str, categories_url: str) -> dict:
    """§7.1.16 the ROLIE service document (RFC 8322 §5, RFC 5023 §8 in JSON): one workspace listing the
    feed the provider metadata names, with its csaf information-type category, as the specification's
    own example writes it, and the feed's category document."""
    return {"service": {"workspace": [{"title": title, "collection": [{
        "title": feed_title, "href": feed_url,
        "categories": {"category": [dict(INFORMATION_TYPE)], "href": categories_url}}]}]}}


def category_document(advisories: list[PublishedAdvisory]) -> dict:
    """§7.1.17 the feed's ROLIE category document (RFC 5023 §7): the terms that dissect its documents,
    as the specification suggests: their document category, their languages, the names of the products
    they concern and the CVEs they name, each term once, in that order."""
    documents = [document_terms(a) for a in advisories]
    terms = ["csaf_security_advisory"]
    for index in range(1, 4):
        terms += sorted({term for found in documents for term in found[index]})
    return {"categories": {"category": [{"term": term} for term in dict.fromkeys(terms)]}}


def document_terms(advisory: PublishedAdvisory) -> tuple[str, list[str], list[str], list[str]]:
    """The category, language, product names and CVEs of the advisory's document (as ``document`` writes it)."""
    revision = advisory.latest
    lang, _ = revision.text("en")
    return ("csaf_security_advisory", [lang], [p["name"] for p in revision.products], list(revision.cves))


def security_txt(*, contacts: list[str], expires: datetime, provider_metadata_url: str, canonical_url: str,
                 languages: list[str]) -> str:
    """/.well-known/security.txt (RFC 9116) naming the provider metadata with its ``CSAF`` field
    (CSAF 2.0 §7.1.8, requirement 8, registered in the IANA security.txt fields registry)."""
    lines = [f"Contact: {contact}" for contact in contacts]
    lines += [f"Expires: {expires.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}",
              f"Canonical: {canonical_url}", f"Preferred-Languages: {', '.join(languages)}",
              f"CSAF: {provider_metadata_url}"]
    return "\n".join(lines) + "\n"
