"""POSTing a webhook without letting its URL reach inside the network.

The host is resolved once and every address it resolves to must be public
(not loopback, private, link-local, shared, reserved or multicast, and no
such IPv4 address wrapped in IPv6: IPv4-mapped or -compatible, NAT64, 6to4,
Teredo) unless it lies in a network of ``NCERT_WEBHOOK_ALLOWED_NETWORKS``.
The connection goes to those vetted addresses (a second lookup could answer
differently), and a redirect is never followed: it is a failed delivery.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# RFC 6052 §2.1 (NAT64 well-known prefix) and RFC 4291 §2.5.5.1 (IPv4-compatible, deprecated):
# the last 32 bits are an IPv4 address.
_V4_IN_LAST_32_BITS = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))
_RESPONSE_READ_MAX = 64 * 1024


class Refused(Exception):
    """The webhook was not sent: its target is not allowed, or it answered with a redirect."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"127.0.0.0/8, fd00::/8"`` as networks; ValueError names a malformed one."""
    out = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"NCERT_WEBHOOK_ALLOWED_NETWORKS: {item!r} is not an IP network (CIDR)") from None
    return tuple(out)


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    out = [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour) if v4 is not None]
    out.extend(ip.teredo or ())
    if any(ip in net for net in _V4_IN_LAST_32_BITS):
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return out


def refusal(ip: IPAddress, allowed: tuple[Network, ...]) -> str | None:
    """Why a webhook may not go to ``ip``, or None if it may."""
    plain = (ip.ipv4_mapped or ip) if ip.version == 6 else ip
    if any(plain.version == net.version and plain in net for net in allowed):
        return None
    inner = _embedded_v4(ip) if ip.version == 6 else []
    if any(a.is_multicast or not a.is_global for a in (ip, *inner)):
        return f"{ip} is not a public address (allow it with NCERT_WEBHOOK_ALLOWED_NETWORKS)"
    return None


def vetted_addresses(host: str, port: int, allowed: tuple[Network, ...]) -> list[tuple]:
    """``host``'s socket addresses, all checked; Refused if any one is not allowed."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise Refused(f"{host} does not resolve: {exc}") from None
    for *_, sockaddr in found:
        reason = refusal(ipaddress.ip_address(sockaddr[0]), allowed)
        if reason:
            raise Refused(f"{host}: {reason}")
    return [(family, sockaddr) for family, _, _, _, sockaddr in found]


class _VettedHTTP(http.client.HTTPConnection):
    """Connects only to the addresses vetted for its host (TLS still checks the host name)."""

    addresses: list[tuple] = []

    def connect(self) -> None:
        error: OSError = OSError(f"no address for {self.host}")
        for family, sockaddr in self.addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            self.sock = sock
            return
        raise error


class _VettedHTTPS(http.client.HTTPSConnection, _VettedHTTP):
    pass


def post_json(url: str, body: str, *, timeout: float, allowed: tuple[Network, ...], user_agent: str,
              headers: dict[str, str] | None = None) -> None:
    """POST ``body`` to ``url`` (with ``headers`` besides the content type and user agent); Refused
    for a forbidden target or a redirect (never followed), OSError for a failed delivery (an answer
    other than 2xx or 3xx among them)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{url!r} is not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    conn = (_VettedHTTPS if parts.scheme == "https" else _VettedHTTP)(parts.hostname, port, timeout=timeout)
    conn.addresses = vetted_addresses(parts.hostname, port, allowed)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body.encode(), headers={**(headers or {}), "Content-Type": "application/json",
                                                              "User-Agent": user_agent})
        response = conn.getresponse()
        response.read(_RESPONSE_READ_MAX)
    finally:
        conn.close()
    if 300 <= response.status < 400:
        raise Refused(f"HTTP {response.status}: redirect to {response.getheader('Location')!r} not followed")
    if not 200 <= response.status < 300:
        raise OSError(f"HTTP {response.status} {response.reason}")
