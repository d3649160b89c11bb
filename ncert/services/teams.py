"""Teams of the national centre (desks such as an OT desk or the duty team):
admins create them and manage members; incidents are assigned to a team
through ``incidents.update_fields`` (``IncidentPatch.team``).

Members are national-centre staff only: active users of a national role in
the acting admin's (the national) organisation.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.errors import Conflict, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import Team, TeamMember, User
from ncert.services import audit
from ncert.services.directory import require_admin

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.slug)))


def by_slug(session: Session, slug: str) -> Team | None:
    return session.scalar(select(Team).where(Team.slug == slug.strip().lower()))


def get(session: Session, slug: str) -> Team:
    team = by_slug(session, slug)
    if team is None:
        raise NotFound(N_("no team '%(slug)s'"), slug=slug)
    return team


def of_user(session: Session, user_id: int) -> list[Team]:
    stmt = select(Team).join(TeamMember, TeamMember.team_id == Team.id).where(TeamMember.user_id == user_id)
    return list(session.scalars(stmt.order_by(Team.slug)))


def candidates(session: Session, actor: Actor) -> list[User]:
    """Who may join a team: active national-centre staff of the admin's organisation."""
    require_admin(actor)
    stmt = select(User).where(User.org_id == actor.org_id, User.active.is_(True))
    return [u for u in session.scalars(stmt.order_by(User.email)) if u.role.is_national]


def create(session: Session, actor: Actor, *, slug: str, name: str, email: str | None = None) -> Team:
    require_admin(actor)
    slug, name, email = slug.strip().lower(), name.strip(), (email or "").strip().lower() or None
    if not SLUG.match(slug):
        raise Invalid(N_("team slug '%(slug)s': lower-case letters, digits and hyphens only, up to 80"), slug=slug)
    if not name or len(name) > 200:
        raise Invalid(N_("team name: give 1 to 200 characters"))
    if email is not None and (len(email) > 320 or not EMAIL.match(email)):
        raise Invalid(N_("team e-mail '%(email)s' is not an e-mail address"), email=email)
    if by_slug(session, slug) is not None:
        raise Conflict(N_("team '%(slug)s' already exists"), slug=slug)
    team = Team(slug=slug, name=name, email=email)
    session.add(team)
    session.flush()
    audit.record(session, actor, "team.create", "team", slug, name=name, email=email)
    return team


def add_member(session: Session, actor: Actor, slug: str, email: str) -> Team:
    """Add a national-centre user to a team; adding a member twice is a 409."""
    require_admin(actor)
    team, user = get(session, slug), _user(session, email)
    if user.org_id != actor.org_id or not user.role.is_national or not user.active:
        raise Invalid(N_("%(email)s is not active national-centre staff; only they can be team members"),
                      email=user.email)
    if session.get(TeamMember, (team.id, user.id)) is not None:
        raise Conflict(N_("%(email)s is already a member of %(team)s"), email=user.email, team=team.slug)
    session.add(TeamMember(team_id=team.id, user_id=user.id))
    session.flush()
    session.expire(team, ["members"])
    audit.record(session, actor, "team.member-add", "team", team.slug, user=user.email)
    return team


def remove_member(session: Session, actor: Actor, slug: str, email: str) -> Team:
    require_admin(actor)
    team, user = get(session, slug), _user(session, email)
    membership = session.get(TeamMember, (team.id, user.id))
    if membership is None:
        raise Conflict(N_("%(email)s is not a member of %(team)s"), email=user.email, team=team.slug)
    session.delete(membership)
    session.flush()
    session.expire(team, ["members"])
    audit.record(session, actor, "team.member-remove", "team", team.slug, user=user.email)
    return team


def mailboxes(session: Session, slug: str) -> list[str]:
    """Where to e-mail a team: its mailbox if set, else its active members; nobody for an unknown team."""
    team = by_slug(session, slug)
    if team is None:
        return []
    return [team.email] if team.email else [u.email for u in team.members if u.active]


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise Invalid(N_("no user '%(email)s'"), email=email)
    return user
