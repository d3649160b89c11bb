"""A console user's saved queue filters: a name for a queue query string, private to its user."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.errors import Conflict, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import SavedFilter

MAX_PER_USER = 50
UNSAVED = {"cursor", "csrf_token"}  # a page position is not a filter


def _user(actor: Actor) -> int:
    if actor.user_id is None:
        raise Invalid(N_("saved filters belong to a signed-in user"))
    return actor.user_id


def of_user(session: Session, actor: Actor) -> list[SavedFilter]:
    stmt = select(SavedFilter).where(SavedFilter.user_id == _user(actor)).order_by(SavedFilter.name)
    return list(session.scalars(stmt.limit(MAX_PER_USER)))


def save(session: Session, actor: Actor, name: str, query: str) -> SavedFilter:
    """Save ``query`` (the queue's query string, without its page position) as ``name``."""
    user_id, name = _user(actor), name.strip()
    if not name:
        raise Invalid(N_("a saved filter needs a name"))
    kept = urlencode([(k, v) for k, v in parse_qsl(query.lstrip("?")) if k not in UNSAVED and v])
    mine = of_user(session, actor)
    if any(f.name == name for f in mine):
        raise Conflict(N_("you already have a saved filter called '%(name)s'"), name=name)
    if len(mine) >= MAX_PER_USER:
        raise Conflict(N_("at most %(count)s saved filters; delete one first"), count=MAX_PER_USER)
    saved = SavedFilter(user_id=user_id, name=name, query=kept)
    session.add(saved)
    session.flush()
    return saved


def delete(session: Session, actor: Actor, filter_id: int) -> SavedFilter:
    """Delete one of the actor's own saved filters; anyone else's is not found."""
    saved = session.scalar(select(SavedFilter).where(SavedFilter.id == filter_id,
                                                     SavedFilter.user_id == _user(actor)))
    if saved is None:
        raise NotFound(N_("no saved filter %(filter_id)s"), filter_id=filter_id)
    session.delete(saved)
    return saved
