"""Malware samples and attachments are opaque: stored up to NCERT_ATTACHMENT_MAX_BYTES, never unpacked on intake."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from ncert.db import transaction
from ncert.models import MispEvent
from ncert.runtime import Runtime
from ncert.services import indicators
from tests.serving import running_server

MiB = 1024 * 1024


def zip_bomb(expanded_mib: int) -> tuple[bytes, str]:
    """(a zip laid out as MISP stores a malware sample, its md5 member name): ``<md5>`` and
    ``<md5>.filename.txt``, the latter ``expanded_mib`` MiB of zeros deflated to about a thousandth.
    PyMISP (MISPAttribute._prepare_data) reads the .filename.txt member whole when it loads one."""
    md5 = hashlib.md5(b"sample").hexdigest()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(md5, b"sample")
        with archive.open(f"{md5}.filename.txt", "w") as member:
            chunk = bytes(MiB)
            for _ in range(expanded_mib):
                member.write(chunk)
    return out.getvalue(), md5


def _peak_rss_bytes(base_url: str) -> int:
    """The peak resident memory (VmHWM, Linux /proc) of the ``ncert serve`` child listening at ``base_url``."""
    port = base_url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            status = (proc / "status").read_text()
        except OSError:
            continue
        ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if ppid == os.getpid() and b"serve" in cmdline and port.encode() in cmdline:
            return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) * 1024
    raise AssertionError(f"no ncert serve child on port {port}")


def test_a_zip_bomb_sample_is_stored_opaque_and_the_server_stays_small(world):
    sample, md5 = zip_bomb(1024)  # 1 GiB once inflated, about 1 MiB sent
    assert len(sample) < 2 * MiB
    value = f"invoice.exe|{md5}"
    event = {"info": "Dropper with sample", "Tag": [{"name": "tlp:amber"}], "Attribute": [
        {"type": "malware-sample", "value": value, "to_ids": True, "data": base64.b64encode(sample).decode()}]}
    headers = {"Authorization": world.key("gridco"), "Accept": "application/json",
               "Content-Type": "application/json"}
    with running_server(world.runtime) as base:
        saved = requests.post(f"{base}/misp/events/add", json=event, headers=headers, timeout=120)
        assert saved.status_code == 200, saved.text
        assert _peak_rss_bytes(base) < 512 * MiB
        shown = requests.get(f"{base}/misp/events/view/{saved.json()['Event']['id']}", headers=headers, timeout=60)
        assert shown.status_code == 200
    attribute = shown.json()["Event"]["Attribute"][0]
    assert attribute["value"] == value  # PyMISP rewrites the value to the file name when it takes the data apart
    assert base64.b64decode(attribute["data"]) == sample
    with transaction(world.runtime.sessions) as s:
        incident_id = s.get(MispEvent, int(saved.json()["Event"]["id"])).incident_id
        assert {(i.type, i.value) for i in indicators.of_incident(s, incident_id)} == {("md5", md5)}


@pytest.fixture
def capped_door(runtime, world):
    """The /misp/ door of an app whose NCERT_ATTACHMENT_MAX_BYTES is 4 KiB."""
    from ncert.web import create_app

    app = create_app(Runtime(replace(runtime.settings, attachment_max_bytes=4096), runtime.engine,
                             runtime.sessions))
    app.config.update(TESTING=True)
    client = app.test_client()
    headers = {"Authorization": world.key("gridco"), "Content-Type": "application/json"}
    return lambda path, body: client.post(f"/misp/{path}", json=body, headers=headers)


def _attachment(size: int, uuid: str) -> dict:
    return {"type": "attachment", "value": "notes.bin", "uuid": uuid, "data": base64.b64encode(bytes(size)).decode()}


def test_an_attachment_over_the_cap_is_dropped_and_named(capped_door):
    small, big = "1c1e1d1a-0000-4000-8000-000000000001", "1c1e1d1a-0000-4000-8000-000000000002"
    resp = capped_door("events/add", {"info": "Two attachments", "Attribute": [
        _attachment(4096, small), _attachment(4097, big), {"type": "domain", "value": "kept.example"}]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert [a["uuid"] for a in body["Event"]["Attribute"]][:1] == [small]
    assert [a["value"] for a in body["Event"]["Attribute"]] == ["notes.bin", "kept.example"]
    assert body["dropped"] == [{"part": "Attribute", "uuid": big, "reason": "the attachment is larger than 4096 bytes"}]


def test_attributes_add_caps_and_keeps_attachments_too(capped_door):
    event = capped_door("events/add", {"info": "Later attachments"}).get_json()["Event"]
    over = capped_door(f"attributes/add/{event['id']}", _attachment(5000, "1c1e1d1a-0000-4000-8000-000000000003"))
    assert over.status_code == 422 and "larger than 4096 bytes" in over.get_json()["message"]
    kept = capped_door(f"attributes/add/{event['id']}", _attachment(10, "1c1e1d1a-0000-4000-8000-000000000004"))
    assert kept.status_code == 200
    assert kept.get_json()["Attribute"]["value"] == "notes.bin"
    bad = capped_door(f"attributes/add/{event['id']}", {**_attachment(10, "1c1e1d1a-0000-4000-8000-000000000005"),
                                                         "data": "not base64!"})
    assert bad.status_code == 422 and bad.get_json()["message"] == "data is not base64"
