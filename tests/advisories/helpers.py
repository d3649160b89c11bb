"""Advisory content for the tests, and a helper that drafts, approves and publishes."""

from __future__ import annotations

from ncert.db import transaction
from ncert.services import advisories


def content(**changes) -> advisories.AdvisoryInput:
    data = {
        "texts": {
            "en": {"title": "Exploited flaw in ExampleVPN gateways", "summary": "Attackers exploit CVE-2026-12345.",
                   "actions": "Install version 9.1.3 and rotate VPN credentials."},
            "az": {"title": "ExampleVPN şlüzlərində istismar olunan zəiflik",
                   "summary": "Təcavüzkarlar CVE-2026-12345 zəifliyindən istifadə edir.",
                   "actions": "9.1.3 versiyasını quraşdırmağı tövsiyə edirik."},
        },
        "severity": "high",
        "products": [{"name": "ExampleVPN Gateway 9.1", "cpe": "cpe:2.3:a:example:examplevpn:9.1:*:*:*:*:*:*:*"},
                     {"name": "Legacy appliances (all versions)"}],
        "cves": ["CVE-2026-12345"],
        "indicators": [{"type": "ipv4-addr", "value": "198.51.100.23"}],
        "references": [{"url": "https://vendor.example/psirt/2026-01", "summary": "Vendor advisory"}],
    }
    data.update(changes)
    return advisories.validated(data)


def publish(world, data=None, *, sources=(), drafter="operator@ncert.test", approver="leader@ncert.test") -> str:
    """Draft, submit, approve and publish an advisory; returns its reference."""
    with transaction(world.runtime.sessions) as s:
        reference = advisories.create(s, world.actor(drafter), data or content(), list(sources)).reference
    release(world, reference, 1, drafter=drafter, approver=approver)
    return reference


def release(world, reference: str, number: int, *, drafter="operator@ncert.test", approver="leader@ncert.test") -> None:
    """Submit, approve and publish revision ``number`` of an advisory."""
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.actor(drafter), reference, number)
        advisories.approve(s, world.actor(approver), reference, number)
        advisories.publish(s, world.actor(drafter), reference, number)
