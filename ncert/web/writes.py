"""Leadership reviews the national picture and writes none of it: a write request
from leadership is refused (403) by the REST API and the console before its body
is read. The records leadership keeps itself are the exception: its quarterly
review of KPI cards, their targets and responsible persons (issue 10); and approving
advisories, the second person's part (issue 14)."""

from __future__ import annotations

from ncert.actor import Actor
from ncert.services import directory

LEADERSHIP_RECORDS = frozenset({
    "api_v1.review_organization_card",
    "api_v1.review_sector_card",
    "api_v1.put_responsible",
    "api_v1.put_target",
    "console.kpi_review",
    "console.approve_advisory",  # the second person who approves an advisory (issue 14)
    "api_v1.approve_advisory",
})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # RFC 9110 §9.2.1


def refuse_read_only_writer(actor: Actor, method: str, endpoint: str | None) -> None:
    if method not in SAFE_METHODS and endpoint not in LEADERSHIP_RECORDS:
        directory.require_may_write(actor)
