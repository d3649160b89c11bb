"""Cookies are ``Secure`` and HSTS is sent when a request came over HTTPS, and
``X-Forwarded-Proto`` / ``X-Forwarded-For`` count only from trusted proxies,
asked of a real ``ncert serve`` (the headers a browser would see)."""

from __future__ import annotations

import http.client
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from ncert.models import SignInFailure
from ncert.runtime import Runtime
from ncert.web import create_app
from tests.console.helpers import Console, csrf_token
from tests.serving import running_server


def get_login(base_url: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", "/login", headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def cookie_flags(response: http.client.HTTPResponse) -> set[str]:
    [set_cookie] = [v for k, v in response.getheaders() if k.lower() == "set-cookie" and v.startswith("session=")]
    return {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}


FORWARDED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}


@pytest.mark.parametrize("trusted", ["0", "1"])
def test_https_behind_a_trusted_proxy_gets_secure_cookies_and_hsts(runtime, world, monkeypatch, trusted):
    monkeypatch.setenv("NCERT_TRUSTED_PROXIES", trusted)
    with running_server(runtime) as base_url:
        plain = get_login(base_url, {})
        forwarded = get_login(base_url, FORWARDED_HTTPS)
    assert plain.status == 200 and "secure" not in cookie_flags(plain)
    assert plain.getheader("Strict-Transport-Security") is None
    assert {"httponly", "path", "samesite"} <= cookie_flags(plain)
    if trusted == "1":
        assert "secure" in cookie_flags(forwarded)
        assert forwarded.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
    else:  # anyone can send the header: without a trusted proxy it means nothing
        assert "secure" not in cookie_flags(forwarded)
        assert forwarded.getheader("Strict-Transport-Security") is None


def test_a_request_over_tls_gets_secure_cookies_and_hsts(client):
    response = client.get("/login", base_url="https://ncert.example")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_sign_in_throttle_counts_the_forwarded_address_only_from_a_trusted_proxy(runtime, world):
    for trusted, address in ((0, "127.0.0.1"), (1, "198.51.100.7")):
        app = create_app(Runtime(replace(runtime.settings, trusted_proxies=trusted), runtime.engine, runtime.sessions))
        console = Console(app.test_client())
        token = csrf_token(console.text("/login"))
        console.client.post("/login", headers={"X-Forwarded-For": "198.51.100.7"}, data={
            "email": "nobody@ncert.test", "password": "wrong password", "csrf_token": token})
        with runtime.sessions() as s:
            latest = s.scalars(select(SignInFailure.address).order_by(SignInFailure.id.desc())).first()
        assert latest == address, trusted
