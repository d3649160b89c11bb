"""The risk matrix, stored as data: the likelihood and impact scales with their
wording, and the level of each cell. Admins replace it with a new version; the
highest version is in force, and while none is stored the default below is.

The default is the 5×5 matrix of ISO/IEC 27005 practice with score =
likelihood × impact banded 1–4 low, 5–9 medium, 10–16 high, 20–25 critical;
its likelihood wording follows the UK National Risk Register 2023 (chance over
two years of a malicious risk: <0.2 %, 0.2–1 %, 1–5 %, 5–25 %, >25 %,
https://access-national-risk-register.service.cabinetoffice.gov.uk/risk-methodology)
and its impact scale runs minor to catastrophic as there.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.errors import Invalid
from ncert.i18n import N_
from ncert.models import RiskMatrix
from ncert.services import audit
from ncert.services.directory import require_admin

SIZE = 5
CELL_LEVELS = (N_("low"), N_("medium"), N_("high"), N_("critical"))


def _band(score: int) -> str:
    return "low" if score <= 4 else "medium" if score <= 9 else "high" if score <= 16 else "critical"


DEFAULT: dict = {
    "likelihood": [
        {"level": 1, "label": N_("Very low"), "description": "less than 0.2 % chance over two years"},
        {"level": 2, "label": N_("Low"), "description": "0.2–1 % chance over two years"},
        {"level": 3, "label": N_("Moderate"), "description": "1–5 % chance over two years"},
        {"level": 4, "label": N_("High"), "description": "5–25 % chance over two years"},
        {"level": 5, "label": N_("Very high"), "description": "more than 25 % chance over two years"},
    ],
    "impact": [
        {"level": 1, "label": N_("Minor"), "description": "local, brief disruption; no lasting harm"},
        {"level": 2, "label": N_("Limited"), "description": "one organisation's services disrupted for hours"},
        {"level": 3, "label": N_("Moderate"), "description": "an essential service disrupted regionally for days"},
        {"level": 4, "label": N_("Significant"), "description": "essential services disrupted nationally"},
        {"level": 5, "label": N_("Catastrophic"), "description": "lasting national harm to lives, economy or security"},
    ],
    # cells[likelihood - 1][impact - 1]
    "cells": [[_band(likelihood * impact) for impact in range(1, SIZE + 1)] for likelihood in range(1, SIZE + 1)],
}


def current(session: Session) -> dict:
    """The matrix in force (a fresh copy), with its ``version`` (0: the built-in default)."""
    row = session.scalar(select(RiskMatrix).order_by(RiskMatrix.version.desc()).limit(1))
    if row is None:
        return {**_copy(DEFAULT), "version": 0}
    return {**_copy(row.definition), "version": row.version}


def replace(session: Session, actor: Actor, definition: dict) -> dict:
    """Store ``definition`` as the new matrix (admins only); past assessments keep their snapshot."""
    require_admin(actor)
    checked = check(definition)
    version = (session.scalar(select(func.max(RiskMatrix.version))) or 0) + 1
    session.add(RiskMatrix(version=version, definition=checked, created_by=actor.label))
    audit.record(session, actor, "risk-matrix.replace", "risk_matrix", version)
    session.flush()
    return {**_copy(checked), "version": version}


def check(definition: dict) -> dict:
    """The definition reduced to its three keys, or Invalid naming the first fault."""
    if not isinstance(definition, dict):
        raise Invalid(N_("a risk matrix is a mapping with likelihood, impact and cells"))
    out = {}
    for axis in ("likelihood", "impact"):
        scale = definition.get(axis)
        if not isinstance(scale, list) or len(scale) != SIZE:
            raise Invalid(N_("risk matrix: %(axis)s needs %(size)s levels"), axis=axis, size=SIZE)
        out[axis] = []
        for i, step in enumerate(scale, start=1):
            if not isinstance(step, dict) or step.get("level") != i or not str(step.get("label") or "").strip():
                raise Invalid(N_("risk matrix: %(axis)s level %(i)s needs 'level: %(i)s' and a label"), axis=axis, i=i)
            out[axis].append({"level": i, "label": str(step["label"]).strip(),
                              "description": str(step.get("description") or "").strip()})
    cells = definition.get("cells")
    if (not isinstance(cells, list) or len(cells) != SIZE
            or any(not isinstance(row, list) or len(row) != SIZE for row in cells)):
        raise Invalid(N_("risk matrix: cells needs %(size)s rows of %(size)s levels (likelihood by impact)"), size=SIZE)
    bad = sorted({str(c) for row in cells for c in row if c not in CELL_LEVELS})
    if bad:
        raise Invalid(N_("risk matrix: unknown cell level '%(bad)s'; expected one of %(expected)s"),
                      bad=bad[0], expected=', '.join(CELL_LEVELS))
    out["cells"] = [list(row) for row in cells]
    return out


def level(matrix: dict, likelihood: int, impact: int) -> str:
    """The level of the cell (likelihood, impact) on ``matrix``."""
    return matrix["cells"][likelihood - 1][impact - 1]


def _copy(definition: dict) -> dict:
    return {"likelihood": [dict(s) for s in definition["likelihood"]],
            "impact": [dict(s) for s in definition["impact"]],
            "cells": [list(row) for row in definition["cells"]]}
