"""Parallel pushes from several sector CERTs through REST, TAXII and the MISP API at once, against a
real ``ncert serve``: nothing is lost and nothing is duplicated (issue 12, "PostgreSQL at volume").

Every item is sent by two client threads at the same moment (a retry racing the original, as a
client that timed out does) and once more after all are in (a late replay). Clients retry what
the server asks them to retry (409 "being submitted concurrently; retry", 5xx, a refused
connection); a replay's answer is the first one's (REST 200, MISP ``EventExists``, TAXII success).
The counts are exact: incidents per organisation and door, MISP events, indicators, and links.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable

import orjson
import requests
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.models import Incident, IncidentIndicator, Indicator, MispEvent, Organization
from ncert.services import directory, taxii
from ncert.services.misp_events import EVENT_EXISTS
from tests.serving import serving
from tests.taxii.stix_data import TLP_GREEN, indicator, ts

CERTS = {"energy-cert": "energy", "finance-cert": "finance", "health-cert": "health"}
DOORS = ("api", "taxii", "misp")
ITEMS = 8  # per sector CERT and door: 72 incidents, each sent three times
SHARED = "shared-c2.badcdn.net"  # every item reports it too: one indicator, linked to every incident
INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
TAXII = "application/taxii+json;version=2.1"
ATTEMPTS = 30
NS = uuid.UUID("6f1c7e0a-3b8e-4c55-9d3e-2a7b1c0d9e8f")


def _value(org: str, door: str, n: int) -> str:
    return f"c2-{org}-{door}-{n}.badcdn.net"


def _stable(*parts) -> str:
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


def _rest(base: str, key: str, org: str, n: int) -> tuple[str, dict, dict]:
    body = {"title": f"{org} rest {n}", "category": "malicious-code/c2-server", "external_ids": {"ticket": f"T-{n}"},
            "indicators": [{"type": "domain-name", "value": _value(org, "api", n)},
                           {"type": "domain-name", "value": SHARED}]}
    return f"{base}/api/v1/incidents", {"Authorization": f"Bearer {key}"}, body


def _taxii(base: str, key: str, org: str, n: int, collection: str) -> tuple[str, dict, dict]:
    mine = indicator(_value(org, "taxii", n), kind="domain-name", ident=f"indicator--{_stable(org, n)}")
    shared = indicator(SHARED, kind="domain-name", ident=f"indicator--{_stable(org, 'shared')}")
    incident = {"type": "incident", "spec_version": "2.1", "id": f"incident--{_stable(org, 'incident', n)}",
                "created": ts(5), "modified": ts(5), "name": f"{org} taxii {n}", "object_marking_refs": [TLP_GREEN],
                "extensions": {INCIDENT_CORE: {"extension_type": "property-extension",
                                               "determination": "suspected", "investigation_status": "open"}}}
    links = [{"type": "relationship", "spec_version": "2.1", "id": f"relationship--{_stable(org, n, ind['id'])}",
              "created": ts(5), "modified": ts(5), "relationship_type": "related-to", "source_ref": ind["id"],
              "target_ref": incident["id"]} for ind in (mine, shared)]
    return (f"{base}/taxii2/ncert/collections/{collection}/objects/",
            {"Authorization": f"Bearer {key}", "Accept": TAXII, "Content-Type": TAXII},
            {"objects": [mine, shared, incident, *links]})


def _misp(base: str, key: str, org: str, n: int) -> tuple[str, dict, dict]:
    event = {"uuid": _stable(org, "event", n), "info": f"{org} misp {n}", "Tag": [{"name": "tlp:green"}],
             "Attribute": [{"type": "domain", "value": _value(org, "misp", n), "to_ids": True},
                           {"type": "domain", "value": SHARED, "to_ids": True}]}
    return f"{base}/misp/events/add", {"Authorization": key, "Accept": "application/json"}, event


def _accepted(door: str, response: requests.Response) -> bool:
    """Stored (now or before): the answer a client takes as done. Anything else the client retries or fails."""
    if door == "api":
        return response.status_code in (200, 201)
    if door == "taxii":
        return response.status_code == 202 and response.json()["failure_count"] == 0
    return response.status_code == 200 or (response.status_code == 404 and response.json().get("message")
                                           == EVENT_EXISTS)


class Pusher:
    """Sends one item until it is accepted, retrying what a client retries; counts the retries."""

    def __init__(self) -> None:
        self.retries: Counter[str] = Counter()
        self.lock = threading.Lock()

    def send(self, http: requests.Session, door: str, request: tuple[str, dict, dict]) -> None:
        url, headers, body = request
        for _ in range(ATTEMPTS):
            try:
                response = http.post(url, headers=headers, data=orjson.dumps(body), timeout=120) \
                    if door == "taxii" else http.post(url, headers=headers, json=body, timeout=120)
            except requests.ConnectionError:
                response = None
            if response is not None and _accepted(door, response):
                return
            if response is not None and response.status_code not in (409, 500, 502, 503) \
                    and not (door == "taxii" and response.status_code == 202):
                raise AssertionError(f"{door} {url}: {response.status_code} {response.text[:500]}")
            with self.lock:
                self.retries[door] += 1
            time.sleep(0.05)
        last = "no answer" if response is None else f"last answer {response.status_code} {response.text[:500]}"
        raise AssertionError(f"{door} {url}: not accepted after {ATTEMPTS} attempts; {last}")


def _in_parallel(jobs: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], None]) -> None:
        try:
            start.wait()
            job()
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors[:3]


def test_parallel_pushes_through_three_doors_lose_and_duplicate_nothing(world):
    with transaction(world.runtime.sessions) as s:
        for slug, sector in CERTS.items():
            if slug != "energy-cert":
                directory.add_organization(s, world.admin, slug=slug, name=f"{sector.title()} CERT",
                                           kind="sector-cert", sector=sector)
        taxii.ensure_collections(s)
        inboxes = {c.alias: c.id for c, _ in taxii.collections(s, world.admin)}
    keys = {org: world.key(org) for org in CERTS}
    pusher = Pusher()
    with serving(world.runtime) as server:
        def requests_of(org: str, door: str) -> list[tuple[str, dict, dict]]:
            if door == "api":
                return [_rest(server.url, keys[org], org, n) for n in range(ITEMS)]
            if door == "taxii":
                return [_taxii(server.url, keys[org], org, n, inboxes[f"inbox-{CERTS[org]}"]) for n in range(ITEMS)]
            return [_misp(server.url, keys[org], org, n) for n in range(ITEMS)]

        def client(org: str, door: str) -> Callable[[], None]:
            def push() -> None:
                with requests.Session() as http:
                    for request in requests_of(org, door):
                        pusher.send(http, door, request)
            return push

        # every (sector CERT, door) stream twice at once: each item and its racing retry
        _in_parallel([client(org, door) for org in CERTS for door in DOORS for _ in range(2)])
        _in_parallel([client(org, door) for org in CERTS for door in DOORS])  # late replays
        assert server.process.poll() is None

    with world.runtime.sessions() as s:
        stored = Counter(s.execute(select(Organization.slug, Incident.source_channel)
                                   .join(Organization, Organization.id == Incident.reporter_org_id)).all())
        assert stored == {(org, door): ITEMS for org in CERTS for door in DOORS}
        titles = Counter(s.scalars(select(Incident.title)))
        assert titles == {f"{org} {'rest' if door == 'api' else door} {n}": 1
                          for org in CERTS for door in DOORS for n in range(ITEMS)}
        assert s.scalar(select(func.count()).select_from(MispEvent)) == len(CERTS) * ITEMS
        values = Counter(s.scalars(select(Indicator.value)))
        assert values == {SHARED: 1, **{_value(org, door, n): 1 for org in CERTS for door in DOORS
                                        for n in range(ITEMS)}}
        links = Counter(s.execute(select(Incident.title, Indicator.value)
                                  .join(IncidentIndicator, IncidentIndicator.incident_id == Incident.id)
                                  .join(Indicator, Indicator.id == IncidentIndicator.indicator_id)).all())
        assert links == {(f"{org} {'rest' if door == 'api' else door} {n}", value): 1
                         for org in CERTS for door in DOORS for n in range(ITEMS)
                         for value in (_value(org, door, n), SHARED)}
    print(f"retries the server asked for: {dict(pusher.retries)}")
