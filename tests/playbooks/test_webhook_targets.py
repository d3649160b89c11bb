"""Webhooks reach public addresses only, unless an admin allowed a network, and
never follow a redirect; a refused target or a redirect fails without retries. Incidents are reported through the REST API; the
playbook's webhooks go to real local HTTP servers."""

from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from ncert import outbox
from ncert.models import Notification
from ncert.services import webhook_delivery
from playbooks import engine
from tests.api.helpers import PREFIX, bearer
from tests.playbooks.sinks import HttpSink


class AnsweringSink:
    """Answers every GET or POST with ``status`` (and ``Location: location``), counting them."""

    def __init__(self, status: int, location: str | None = None) -> None:
        self.hits = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                sink.hits += 1
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "AnsweringSink":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def report_with_webhooks(client, world, tmp_path, urls: list[str]) -> list[Notification]:
    """Install a playbook posting to each of ``urls``, report an incident over REST, return the deliveries."""
    actions = "\n".join(f'  - {{type: notify, channel: webhook, url: "{url}", template: "{{reference}}"}}'
                        for url in urls)
    (tmp_path / "hooks.yaml").write_text(f"name: hooks\nversion: 1\ntriggers: [incident.created]\nactions:\n{actions}\n")
    engine.install(world.runtime, tmp_path)
    try:
        response = client.post(f"{PREFIX}/incidents", headers=bearer(world.key("gridco")),
                               json={"title": "Odd logins"})
        assert response.status_code == 201, response.json
    finally:
        engine.uninstall(world.runtime)
    outbox.deliver_due(world.runtime)  # after the request's commit, as the serving process or the worker does
    with world.runtime.sessions() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def internal_urls(port: int) -> list[str]:
    return [f"http://{host}:{port}/hook" for host in (
        "127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "[::7f00:1]", "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]", "10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254", "0.0.0.0",
        "[fe80::1]", "[fc00::1]", "224.0.0.1")]


def test_webhooks_to_loopback_private_and_link_local_addresses_are_refused(client, world, tmp_path, monkeypatch):
    monkeypatch.delenv("NCERT_WEBHOOK_ALLOWED_NETWORKS", raising=False)
    with HttpSink() as sink:
        port = int(sink.url.rsplit(":", 1)[1])
        notes = report_with_webhooks(client, world, tmp_path, internal_urls(port))
    assert sink.requests == []
    assert [n.status for n in notes] == ["failed"] * len(internal_urls(port))
    assert all("not a public address" in n.error for n in notes), [n.error for n in notes]


def test_an_allowed_network_is_reached_and_only_that_one(client, world, tmp_path, monkeypatch):
    monkeypatch.setenv("NCERT_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
    with HttpSink() as sink:
        port = int(sink.url.rsplit(":", 1)[1])
        urls = [f"http://127.0.0.1:{port}/a", f"http://localhost:{port}/b", f"http://[::ffff:127.0.0.1]:{port}/c",
                f"http://10.0.0.1:{port}/d", f"http://[::1]:{port}/e"]
        notes = report_with_webhooks(client, world, tmp_path, urls)
    assert sorted(path for path, _ in sink.requests) == ["/a", "/b", "/c"]
    assert [n.status for n in notes] == ["sent", "sent", "sent", "failed", "failed"]


def test_a_redirect_is_not_followed(client, world, tmp_path, monkeypatch):
    monkeypatch.setenv("NCERT_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
    with AnsweringSink(204) as target, AnsweringSink(302, f"{target.url}/elsewhere") as redirecting:
        [note] = report_with_webhooks(client, world, tmp_path, [f"{redirecting.url}/hook"])
    assert redirecting.hits == 1 and target.hits == 0
    assert note.status == "failed" and "redirect" in note.error and "not followed" in note.error


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert webhook_delivery.refusal(ipaddress.ip_address(address), ()) is None
