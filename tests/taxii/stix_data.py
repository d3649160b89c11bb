"""Small STIX 2.1 objects for TAXII tests, shaped like real sector-CERT traffic."""

from __future__ import annotations

import uuid

TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
TLP_RED_V1 = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"


def ts(day: int, ms: int = 0) -> str:
    return f"2026-03-{day:02d}T10:00:00.{ms:03d}Z"


def indicator(value: str, *, kind: str = "ipv4-addr", day: int = 1, marking: str | None = TLP_GREEN,
              ident: str | None = None, **extra) -> dict:
    obj = {
        "type": "indicator", "spec_version": "2.1", "id": ident or f"indicator--{uuid.uuid4()}",
        "created": ts(1), "modified": ts(day), "name": f"C2 {value}", "indicator_types": ["malicious-activity"],
        "pattern": f"[{kind}:value = '{value}']", "pattern_type": "stix", "valid_from": ts(1), **extra,
    }
    if marking:
        obj["object_marking_refs"] = [marking]
    return obj


def envelope(*objects: dict) -> dict:
    return {"objects": list(objects)}
