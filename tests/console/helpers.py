"""Console test helpers: a browser-like client that sends the CSRF token it read
from a rendered form, and readers for pages (references, counts, links, flashes)
and for an incident's state in the database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

from sqlalchemy import func, select

from ncert.models import AuditEvent, Incident, TimelineEntry
from ncert.runtime import Runtime
from tests.factories import PASSWORD

QUEUE_REF = re.compile(r'<td class="ref"><a href="/incidents/(NC-\d{4}-\d{6})">')
TAB_COUNT = re.compile(r'class="tab-(\w+)[^"]*">\w+ <b>(\d+)</b>')
NEXT_LINK = re.compile(r'rel="next" href="([^"]+)"')
FLASH = re.compile(r'<div class="flash flash-(\w+)" role="status">(.*?)</div>', re.S)
TOKEN = re.compile(r'name="(?:[\w-]+-)?csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token rendered on this page"
    return unescape(match.group(1))


class Console:
    """A Flask test client that signs in and posts forms with their CSRF token."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def text(self, url: str, status: int = 200) -> str:
        response = self.client.get(url)
        assert response.status_code == status, (url, response.status_code)
        return response.get_data(as_text=True)

    def login(self, email: str, password: str = PASSWORD, follow_redirects: bool = False):
        token = csrf_token(self.text("/login"))
        return self.client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                                follow_redirects=follow_redirects)

    def post(self, url: str, data: dict | None = None, *, form_page: str | None = None, follow_redirects=False):
        """POST ``data`` plus the CSRF token read from ``form_page`` (default: the queue)."""
        token = csrf_token(self.text(form_page or "/queue"))
        return self.client.post(url, data={**(data or {}), "csrf_token": token}, follow_redirects=follow_redirects)


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def queue_refs(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return QUEUE_REF.findall(response.get_data(as_text=True))


def tab_counts(response) -> dict[str, int]:
    return {status: int(n) for status, n in TAB_COUNT.findall(response.get_data(as_text=True))}


def next_link(response) -> str | None:
    match = NEXT_LINK.search(response.get_data(as_text=True))
    return unescape(match.group(1)) if match else None


def flashes(response) -> list[tuple[str, str]]:
    return [(kind, unescape(text).strip()) for kind, text in FLASH.findall(response.get_data(as_text=True))]


@dataclass(frozen=True)
class State:
    """What an incident looks like in the database, plus how much was ever written about it."""

    status: str
    severity: int
    tlp: str
    category: str
    assignee_id: int | None
    timeline: int
    audit: int


def state(runtime: Runtime, reference: str) -> State:
    with runtime.sessions() as s:
        inc = s.scalar(select(Incident).where(Incident.reference == reference))
        timeline = s.scalar(select(func.count()).select_from(TimelineEntry).where(TimelineEntry.incident_id == inc.id))
        audit = s.scalar(select(func.count()).select_from(AuditEvent))
        return State(str(inc.status), inc.severity, str(inc.tlp), inc.category, inc.assignee_id, timeline, audit)
