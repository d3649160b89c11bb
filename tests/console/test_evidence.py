"""Evidence files: attached by analysts (own organisation's incidents) and operators, stored once
by SHA-256, capped in size, downloaded only as attachments by whoever sees the incident."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.errors import Invalid
from ncert.models import EvidenceBlob, IncidentAttachment
from ncert.services import evidence
from tests.console.helpers import csrf_token, flashes

HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture
def ref(world) -> str:
    return world.submit(world.actor("analyst@gridco.test"), title="Phishing kit", tlp="TLP:AMBER")


def upload(console, ref, name, data):
    token = csrf_token(console.text(f"/incidents/{ref}"))
    return console.client.post(f"/incidents/{ref}/evidence", data={"csrf_token": token,
                                                                   "file": (io.BytesIO(data), name)},
                               content_type="multipart/form-data", follow_redirects=True)


def link(console, ref, name) -> str:
    return re.search(rf'href="(/incidents/{ref}/evidence/\d+)" download>{re.escape(name)}<',
                     console.text(f"/incidents/{ref}")).group(1)


def test_attach_once_by_hash_and_download_as_a_file(as_user, world, ref):
    analyst, operator = as_user("analyst@gridco.test"), as_user("operator@ncert.test")
    assert flashes(upload(analyst, ref, "../kit.html", HTML)) == [("success", "Attached kit.html.")]
    assert flashes(upload(operator, ref, "same-kit.html", HTML)) == [("success", "Attached same-kit.html.")]
    with world.runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(EvidenceBlob)) == 1
        assert s.scalar(select(func.count()).select_from(IncidentAttachment)) == 2
    response = operator.get(link(operator, ref, "kit.html"))
    assert response.status_code == 200 and response.data == HTML
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="kit.html"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(HTML).hexdigest() in operator.text(f"/incidents/{ref}")
    assert "Evidence attached: kit.html" in analyst.text(f"/incidents/{ref}")


def test_scoped_like_the_incident(as_user, world, ref):
    analyst = as_user("analyst@gridco.test")
    upload(analyst, ref, "kit.html", HTML)
    url = link(analyst, ref, "kit.html")
    outsider = as_user("analyst@powergen.test")
    assert outsider.get(url).status_code == 404  # the incident is TLP:AMBER, GridCo's
    assert outsider.get(url.replace(ref, "NC-1999-000001")).status_code == 404
    other = world.submit(world.actor("analyst@gridco.test"), title="Other")
    assert analyst.get(re.sub(r"/incidents/[^/]+/", f"/incidents/{other}/", url)).status_code == 404


def test_refusals(as_user, world, ref, app):
    green = world.submit(world.actor("analyst@gridco.test"), title="Public lure", tlp="TLP:GREEN")
    bank = as_user("analyst@centralbank.test")
    assert flashes(upload(bank, green, "x.txt", b"x")) == [
        ("error", "you can attach evidence only to your own organisation's incidents")]
    gridco = as_user("analyst@gridco.test")
    assert flashes(upload(gridco, ref, "empty.txt", b"")) == [("error", "the file is empty")]
    cap = app.extensions["ncert"].settings.attachment_max_bytes
    too_big = upload(gridco, ref, "big.bin", b"x" * (cap + 1))  # refused by the cap or the request limit
    assert too_big.status_code == 413 or "at most" in flashes(too_big)[0][1]
    with pytest.raises(Invalid, match="at most 4 are accepted"), transaction(world.runtime.sessions) as s:
        evidence.attach(s, world.actor("analyst@gridco.test"), ref, "five.txt", "text/plain", b"12345", max_bytes=4)
    with world.runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(IncidentAttachment)) == 0
