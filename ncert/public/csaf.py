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
    """The CSAF document of the advisory's latest published revision, with every published revision in its history."""
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
                                      "summary": r.change_summary} for r in advisory.revisions],
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
                      last_updated: datetime) -> dict:
    """§7.2.1 provider-metadata.json of a CSAF provider (§7.2.2) distributing through a directory
    (requirements 11–14, §7.1.11–14) and a ROLIE feed (requirement 15, §7.1.15)."""
    return {
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


def index_txt(advisories: list[PublishedAdvisory]) -> str:
    """§7.1.12 index.txt: each document's path relative to the directory, one per line."""
    return "".join(f"{path(a)}\n" for a in advisories)


def changes_csv(advisories: list[PublishedAdvisory]) -> str:
    """§7.1.13 changes.csv: path and current release date, most recent first."""
    ordered = sorted(advisories, key=lambda a: a.current_release, reverse=True)
    return "".join(f'"{path(a)}","{timestamp(a.current_release)}"\n' for a in ordered)


def rolie_feed(advisories: list[PublishedAdvisory], *, feed_id: str, title: str, feed_url: str,
               document_url, updated: datetime) -> dict:
    """§7.1.15 the ROLIE feed (RFC 8322, in its JSON form) of the TLP:WHITE documents, most recent first:
    the csaf information-type category, and per document an entry with its tracking id, title, release
    dates, its URL as the self link and the content, a hash link per hash file, and the CSAF format."""
    entries = []
    for advisory in sorted(advisories, key=lambda a: a.current_release, reverse=True):
        url = document_url(advisory)
        _, text = advisory.latest.text("en")  # the document's own title (``document`` picks it alike)
        entries.append({
            "id": advisory.reference,
            "title": text["title"],
            "link": [{"rel": "self", "href": url}, *({"rel": "hash", "href": f"{url}.{algorithm}"}
                                                      for algorithm in HASHES)],
            "published": timestamp(advisory.initial_release),
            "updated": timestamp(advisory.current_release),
            "summary": {"content": text["summary"]},
            "content": {"type": "application/json", "src": url},
            "format": {"schema": SCHEMA_URL, "version": CSAF_VERSION},
        })
    return {"feed": {
        "id": feed_id,
        "title": title,
        "link": [{"rel": "self", "href": feed_url}],
        "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
        "updated": timestamp(updated),
        "entry": entries,
    }}
