"""Issue 11: MISP warninglists from the pymispwarninglists wheel, read once per process and only on
first use, matched per list type, and stored on the indicator at intake by every intake path."""

from __future__ import annotations

import ipaddress
import subprocess
import sys

import pytest
from sqlalchemy import select

from ncert import warninglists
from ncert.db import transaction
from ncert.models import Indicator
from ncert.observables import guess, ip_bounds, refang
from ncert.services import indicators
from ncert.taxonomy import TLP


@pytest.mark.parametrize(("kind", "value", "listed"), [
    ("ipv4-addr", "10.1.2.3", "rfc1918"),  # cidr
    ("ipv4-addr", "10.20.0.0/16", "rfc1918"),  # a network inside a listed one
    ("ipv4-addr", "8.8.8.8", "public-dns-v4"),
    ("ipv6-addr", "2001:4860:4860::8888", "public-dns-v6"),
    ("domain-name", "www.google.com", "google"),  # string
    ("domain-name", "mail.members.dyndns.org", "dynamic-dns"),  # hostname: a subdomain of a listed name
    ("url", "https://bit.ly/abc", "url-shortener"),  # a URL is checked by its host too
    ("email-addr", "abuse@corp.example", "common-contact-emails"),  # regex
    ("email-addr", "x@mailinator.com", "disposable-email"),  # substring
    ("email-addr", "x@eu.mailinator.com.corp.example", "disposable-email"),  # anywhere in the value
    ("md5", "d41d8cd98f00b204e9800998ecf8427e", "empty-hashes"),
    ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty-hashes"),
])
def test_a_listed_value_names_its_list(kind, value, listed):
    assert listed in warninglists.matches(kind, value)


@pytest.mark.parametrize(("kind", "value"), [
    ("ipv4-addr", "198.51.100.7"),  # documentation addresses stand in for real ones (STAND_INS)
    ("ipv4-addr", "203.0.113.0/24"),
    ("ipv4-addr", "10.0.0.0/7"),  # wider than 10.0.0.0/8: not inside any listed network
    ("ipv6-addr", "2001:db8::1"),
    ("domain-name", "login-update-secure-portal.com"),
    ("cve", "CVE-2024-3094"),  # no list covers the type
    ("sha1", "b" * 40),
])
def test_an_unlisted_value_names_none(kind, value):
    assert warninglists.matches(kind, value) == ()


def test_the_lists_ship_in_the_wheel_and_skip_the_popularity_rankings():
    names = {path.parent.name for path in warninglists.lists_dir().glob("*/list.json")}
    assert len(names) > 100 and warninglists.SKIPPED <= names
    loaded = {wl.name for lists in warninglists.index().by_type.values() for wl in lists}
    assert not loaded & warninglists.SKIPPED and "rfc1918" in loaded


def test_the_lists_load_once_per_process_and_never_on_import_or_for_a_cli_command():
    code = ("import ncert.cli, ncert.web, ncert.services.incidents; from ncert import warninglists as w;"
            "from click.testing import CliRunner; CliRunner().invoke(ncert.cli.main, ['--help']);"
            "assert w.index.cache_info().currsize == 0, 'loaded early';"
            "w.matches('ipv4-addr', '10.0.0.1'); w.matches('md5', 'a' * 32);"
            "assert w.index.cache_info().misses == 1")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_intake_stores_the_lists_and_the_ip_range_on_every_path(runtime):
    with transaction(runtime.sessions) as s:  # the bulk path (feeds, STIX, MISP) all upsert here
        ids = indicators.upsert_values(s, [("ipv4-addr", "8.8.8.8", 50, _now(), _now()),
                                           ("ipv4-addr", "198.51.100.0/24", 50, _now(), _now()),
                                           ("domain-name", "login-update.com", 50, _now(), _now())], TLP.AMBER)
    with runtime.sessions() as s:
        rows = {i.value: i for i in s.scalars(select(Indicator).where(Indicator.id.in_(ids.values())))}
    assert "public-dns-v4" in rows["8.8.8.8"].warninglist_names
    assert rows["login-update.com"].warninglists == "" and rows["login-update.com"].ip_from is None
    assert (rows["198.51.100.0/24"].ip_from, rows["198.51.100.0/24"].ip_to) == ip_bounds("ipv4-addr",
                                                                                          "198.51.100.0/24")


def test_refang_and_guess_read_a_bare_defanged_value():
    assert refang("hxxps://evil[.]example(.)com/a") == "https://evil.example.com/a"
    assert refang("bad[at]phish[.]example") == "bad@phish.example"
    assert guess("hXXp://Evil[.]Example/x") == ("url", "http://evil.example/x")
    assert guess("198.51.100[.]7") == ("ipv4-addr", "198.51.100.7")
    assert guess("2001:db8::/32") == ("ipv6-addr", "2001:db8::/32")
    assert guess("A" * 128) == ("sha512", "a" * 128)
    assert guess("cve-2024-3094") == ("cve", "CVE-2024-3094")
    assert guess("mail[at]corp.example") == ("email-addr", "mail@corp.example")
    assert guess("ransomware") is None and guess("a" * 33) is None


@pytest.mark.parametrize("value", ["10.1.2.3", "10.1.2.3/8", "0.0.0.0/0", "255.255.255.255", "::", "::ffff:1.2.3.4",
                                   "2001:db8::1/33", "fe80::1%eth0", "10.1.2.3/255.0.0.0"])
def test_ip_bounds_are_those_of_the_network_ipaddress_reads(value):
    net = ipaddress.ip_network(value, strict=False)
    width = 4 if net.version == 4 else 16
    kind = "ipv4-addr" if net.version == 4 else "ipv6-addr"
    assert ip_bounds(kind, value) == (bytes([net.version]) + int(net.network_address).to_bytes(width, "big"),
                                      bytes([net.version]) + int(net.broadcast_address).to_bytes(width, "big"))


@pytest.mark.parametrize("value", ["10.1.2.3/33", "010.1.2.3", "1::2::3"])
def test_ip_bounds_refuse_what_ipaddress_refuses(value):
    with pytest.raises(ValueError):
        ip_bounds("ipv6-addr" if "::" in value else "ipv4-addr", value)


def test_the_lists_an_address_is_on_are_those_whose_networks_hold_it():
    """The union of the cidr lists that answers most addresses at once names the same lists,
    in the same order, as asking each list: at the edges of listed networks and just outside them."""
    index = warninglists.index()
    for kind in ("ipv4-addr", "ipv6-addr"):
        lists = index.by_type[kind]
        version = 4 if kind == "ipv4-addr" else 6
        edges = sorted({edge for wl in lists for starts, ends in [wl.ranges.get(version, ((), ()))]
                        for edge in (*starts[::40], *ends[::40])})
        for edge in edges:
            number = int.from_bytes(edge[1:], "big")
            for near in (number - 1, number, number + 1):
                if not 0 <= near < 2 ** (len(edge) * 8 - 8):
                    continue
                value = str(ipaddress.ip_address(near))
                bounds = ip_bounds(kind, value)
                if any(first <= bounds[0] and bounds[1] <= last for first, last in warninglists.STAND_INS):
                    continue
                assert index.matches(kind, value) == tuple(wl.name for wl in lists if wl.holds(kind, value, bounds))


def test_ip_bounds_sort_as_addresses_within_a_version():
    low, high = ip_bounds("ipv4-addr", "9.255.255.255"), ip_bounds("ipv4-addr", "10.0.0.0/8")
    assert low[1] < high[0] and high == (bytes([4, 10, 0, 0, 0]), bytes([4, 10, 255, 255, 255]))
    assert ip_bounds("ipv6-addr", "::1")[0][0] == 6 and ip_bounds("domain-name", "x.example") is None


def _now():
    from ncert.db import utcnow

    return utcnow()
