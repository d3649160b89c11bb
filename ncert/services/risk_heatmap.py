"""Heat maps of the register: how many risks sit in each cell of the matrix in
force, for the current or the residual scores, under the register's filters
(sector, owner, status); and the risks of one cell. Only risks the actor may
read count (``risks.list_risks`` scopes through ``ncert.access``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.errors import Invalid
from ncert.i18n import N_
from ncert.models import Risk
from ncert.services import risk_matrix, risks

KINDS = ("current", "residual")


@dataclass(frozen=True)
class HeatMap:
    kind: str  # current | residual
    matrix: dict  # the matrix in force: scales, wording and cell levels
    counts: list[list[int]]  # counts[likelihood - 1][impact - 1]
    unscored: int  # risks of the selection without an assessment


def heatmap(session: Session, actor: Actor, kind: str = "current", *, sector: str | None = None,
            owner: str | None = None, status: str | None = None) -> HeatMap:
    size = risk_matrix.SIZE
    counts = [[0] * size for _ in range(size)]
    unscored = 0
    for risk in risks.list_risks(session, actor, sector=sector, owner=owner, status=status):
        cell = _cell(risk, _kind(kind))
        if cell is None:
            unscored += 1
        else:
            counts[cell[0] - 1][cell[1] - 1] += 1
    return HeatMap(kind, risk_matrix.current(session), counts, unscored)


def cell_risks(session: Session, actor: Actor, kind: str, likelihood: int, impact: int, *,
               sector: str | None = None, owner: str | None = None, status: str | None = None) -> list[Risk]:
    """The risks counted in one cell of the heat map with the same filters."""
    kind = _kind(kind)
    return [r for r in risks.list_risks(session, actor, sector=sector, owner=owner, status=status)
            if _cell(r, kind) == (likelihood, impact)]


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Invalid(N_("heat map '%(kind)s': expected one of %(expected)s"), kind=kind, expected=', '.join(KINDS))
    return kind


def _cell(risk: Risk, kind: str) -> tuple[int, int] | None:
    if kind == "current":
        pair = (risk.current_likelihood, risk.current_impact)
    else:
        pair = (risk.residual_likelihood, risk.residual_impact)
    return None if None in pair else pair
