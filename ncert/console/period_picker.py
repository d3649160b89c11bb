"""The period a console page shows: ``?period=2026Q3`` or ``?from=&to=`` (days, both
included), the current quarter when neither is given; and the quarters offered.
The picker's form sends both its quarter and its dates, so dates typed in win."""

from __future__ import annotations

from datetime import datetime

from flask import request

from ncert import periods

QUARTERS_OFFERED = 8


def picked(now: datetime) -> periods.Period:
    """The period asked for in the query string; a malformed one is a 400 saying what was expected."""
    args = {name: request.args.get(name, "").strip() or None for name in ("period", "from", "to")}
    if args["from"] or args["to"]:
        return periods.parse(None, args["from"], args["to"], now=now)
    return periods.parse(args["period"], now=now)


def query(period: periods.Period) -> dict[str, str]:
    """The query string that picks ``period`` again (for links between pages)."""
    if period.is_quarter:
        return {"period": period.label}
    first, last = period.label.split("..")
    return {"from": first, "to": last}


def quarters(now: datetime) -> list[str]:
    """The current quarter and the ones before it, newest first."""
    out = [periods.quarter_of(now)]
    while len(out) < QUARTERS_OFFERED:
        out.append(out[-1].previous())
    return [q.label for q in out]
