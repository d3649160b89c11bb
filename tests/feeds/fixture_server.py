"""A local HTTP server for feed pull tests: serves a dict of path -> body and counts requests."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pymisp import MISPEvent, MISPOrganisation

from ingest.misp.mapping import feed_event, feed_files


class FeedServer:
    """``files`` maps a URL path to (status, body); ``requests`` counts GETs per path."""

    def __init__(self, key: str | None = None):
        self.files: dict[str, tuple[int, bytes]] = {}
        self.requests: Counter = Counter()
        self.key = key
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests[self.path] += 1
                if owner.key and self.headers.get("Authorization") != owner.key:
                    status, body = 403, b'{"message": "bad key"}'
                else:
                    status, body = owner.files.get(self.path, (404, b'{"message": "not found"}'))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def publish_misp(self, prefix: str, events: list[MISPEvent]) -> None:
        """Write a MISP feed of ``events`` under ``prefix`` as PyMISP builds one."""
        manifest, hashes = feed_files(events)
        self.files[f"{prefix}/manifest.json"] = (200, json.dumps(manifest).encode())
        self.files[f"{prefix}/hashes.csv"] = (200, hashes.encode())
        for event in events:
            self.files[f"{prefix}/{event.uuid}.json"] = (200, json.dumps(feed_event(event)).encode())


def misp_event(info: str, *, stamp: int, ip: str, tlp: str = "tlp:green", event_uuid: str | None = None) -> MISPEvent:
    event = MISPEvent()
    event.from_dict(info=info, uuid=event_uuid or str(uuid.uuid4()), date=date(2026, 1, 5), threat_level_id=2,
                    analysis=1, timestamp=datetime.fromtimestamp(stamp, timezone.utc))
    event.add_tag(tlp)
    event.add_attribute("ip-dst", ip, to_ids=True)
    org = MISPOrganisation()
    org.from_dict(name="Energy Sector CERT", uuid=str(uuid.uuid5(uuid.NAMESPACE_DNS, "energy-cert")))
    event.Orgc = org
    return event
