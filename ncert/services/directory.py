"""Sectors, organisations, users and API keys; authentication of each."""

from __future__ import annotations

import functools
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from ncert.i18n import N_
from ncert.models import ApiKey, ConsoleSession, Organization, Sector, User
from ncert.services import audit
from ncert.taxonomy import OrgKind, Role

API_KEY_PREFIX = "ncert"
MIN_PASSWORD_LENGTH = 12
# last_used_at is refreshed at most this often, so reads do not each cost a write.
LAST_USED_RESOLUTION_S = 60


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(N_("this action needs the admin role"))


def require_may_write(actor: Actor) -> None:
    """Leadership reviews: it writes nothing, on any door (each door asks this once per write request)."""
    if actor.role is Role.LEADERSHIP:
        raise Forbidden(N_("leadership has read-only access"))


def actor_for_user(user: User, interface: str) -> Actor:
    return Actor(
        role=user.role,
        org_id=user.org_id,
        org_kind=user.org.kind,
        sector_id=user.org.sector_id,
        interface=interface,
        label=user.email,
        user_id=user.id,
    )


def actor_for_key(key: ApiKey, interface: str) -> Actor:
    return Actor(
        role=key.role,
        org_id=key.org_id,
        org_kind=key.org.kind,
        sector_id=key.org.sector_id,
        interface=interface,
        label=f"api-key {key.prefix} ({key.org.slug})",
        api_key_id=key.id,
    )


_NATIONAL_ORGS = "ncert.directory.national_orgs"  # session.info: (transaction, {slug: (id, kind, sector_id)})


def system_actor(session: Session, national_org_slug: str, interface: str) -> Actor:
    """The national centre itself, acting through the CLI or the scheduler.

    The organisation is read once per transaction: the playbook engine and detection each ask
    for their actor on every incident written, and it was a query each time."""
    known = session.info.get(_NATIONAL_ORGS)
    org = known[1].get(national_org_slug) if known is not None and known[0] is session.get_transaction() else None
    if org is None:
        found = org_by_slug(session, national_org_slug)  # begins the transaction if none has
        org = (found.id, found.kind, found.sector_id)
        transaction = session.get_transaction()
        if known is None or known[0] is not transaction:
            known = session.info[_NATIONAL_ORGS] = (transaction, {})
        known[1][national_org_slug] = org
    org_id, org_kind, sector_id = org
    return Actor(role=Role.ADMIN, org_id=org_id, org_kind=org_kind, sector_id=sector_id, interface=interface,
                 label=f"system ({interface})")


# -- sectors and organisations -------------------------------------------------


def sectors(session: Session) -> list[Sector]:
    return list(session.scalars(select(Sector).order_by(Sector.slug)))


def sector_by_slug(session: Session, slug: str) -> Sector:
    sector = session.scalar(select(Sector).where(Sector.slug == slug))
    if sector is None:
        raise Invalid(N_("unknown sector '%(slug)s'"), slug=slug)
    return sector


def organizations(session: Session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(Organization.slug)))


def org_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(N_("no organisation '%(slug)s'"), slug=slug)
    return org


def add_organization(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    name: str,
    kind: str,
    sector: str | None,
    country: str = "",
    nis2_entity: str | None = None,
    contact_email: str = "",
) -> Organization:
    require_admin(actor)
    try:
        org_kind = OrgKind(kind)
    except ValueError:
        raise Invalid(N_("unknown organisation kind '%(kind)s'; expected one of %(kinds)s"),
                      kind=kind, kinds=', '.join(OrgKind)) from None
    if nis2_entity not in (None, "essential", "important"):
        raise Invalid(N_("nis2_entity must be 'essential', 'important' or empty"))
    if session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None:
        raise Conflict(N_("organisation '%(slug)s' already exists"), slug=slug)
    org = Organization(
        slug=slug,
        name=name,
        kind=org_kind,
        sector_id=sector_by_slug(session, sector).id if sector else None,
        country=country,
        nis2_entity=nis2_entity,
        contact_email=contact_email,
    )
    session.add(org)
    session.flush()
    audit.record(session, actor, "organization.create", "organization", slug, name=name, kind=kind, sector=sector)
    return org


def update_organization(session: Session, actor: Actor, slug: str, *, name: str, country: str = "",
                        nis2_entity: str | None = None, contact_email: str = "", active: bool = True) -> Organization:
    """Edit an organisation's details, or deactivate it: its users can no longer sign in and its
    API keys are refused (its reports stay). The national centre cannot be deactivated."""
    require_admin(actor)
    org = org_by_slug(session, slug)
    if nis2_entity not in (None, "essential", "important"):
        raise Invalid(N_("nis2_entity must be 'essential', 'important' or empty"))
    if not name.strip():
        raise Invalid(N_("an organisation needs a name"))
    if not active and org.slug == national_org_slug(session):
        raise Conflict(N_("the national centre's organisation cannot be deactivated"))
    changes = {field: value for field, value in (("name", name.strip()), ("country", country),
                                                 ("nis2_entity", nis2_entity), ("contact_email", contact_email),
                                                 ("active", active)) if getattr(org, field) != value}
    for field, value in changes.items():
        setattr(org, field, value)
    if changes.get("active") is False:  # signed-in users are signed out, not just refused next time
        session.execute(update(ConsoleSession).where(
            ConsoleSession.user_id.in_(select(User.id).where(User.org_id == org.id)),
            ConsoleSession.ended_at.is_(None)).values(ended_at=utcnow()))
    if changes:
        action = {False: "organization.deactivate", True: "organization.activate"}.get(changes.get("active"),
                                                                                      "organization.update")
        audit.record(session, actor, action, "organization", org.slug, **changes)
    return org


# -- users ----------------------------------------------------------------------


def users(session: Session, actor: Actor) -> list[User]:
    require_admin(actor)
    return list(session.scalars(select(User).order_by(User.email)))


def national_staff(session: Session) -> list[User]:
    """Users a queue item can be assigned to."""
    stmt = select(User).where(User.role.in_((Role.SOC_OPERATOR, Role.ADMIN)), User.active.is_(True))
    return list(session.scalars(stmt.order_by(User.email)))


def add_user(
    session: Session, actor: Actor, *, email: str, name: str, role: str, org: str, password: str
) -> User:
    require_admin(actor)
    try:
        user_role = Role(role)
    except ValueError:
        raise Invalid(N_("unknown role '%(role)s'; expected one of %(roles)s"),
                      role=role, roles=', '.join(Role)) from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(N_("password must have at least %(length)s characters"), length=MIN_PASSWORD_LENGTH)
    email = email.strip().lower()
    if "@" not in email:
        raise Invalid(N_("'%(email)s' is not an e-mail address"), email=email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(N_("user '%(email)s' already exists"), email=email)
    organisation = org_by_slug(session, org)
    require_role_fits_org(session, user_role, organisation)
    user = User(
        email=email,
        name=name,
        role=user_role,
        org_id=organisation.id,
        password_hash=generate_password_hash(password),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", email, role=role, org=org)
    return user


def national_org_slug(session: Session) -> str:
    """The national centre's organisation (``NCERT_NATIONAL_ORG``), as the runtime gave it to its sessions."""
    try:
        return session.info["national_org"]
    except KeyError:
        raise RuntimeError("this session was not made by a Runtime: it does not know the national org") from None


def require_role_fits_org(session: Session, role: Role, org: Organization) -> None:
    """National roles (SOC operator, leadership, admin) belong to the national centre's organisation only."""
    national = national_org_slug(session)
    if role.is_national and org.slug != national:
        raise Invalid(N_("role %(role)s belongs to the national centre's organisation (%(national)s) only; "
                         "%(org)s may hold %(allowed)s only"),
                      role=role, national=national, org=org.slug, allowed=Role.SECTOR_ANALYST)


def role_mismatches(session: Session) -> list[str]:
    """Users and live API keys holding a national role outside the national organisation, one line each."""
    national = national_org_slug(session)
    outside = Organization.slug != national
    users_out = session.scalars(select(User).join(User.org).where(User.role != Role.SECTOR_ANALYST, outside)
                                .order_by(User.email))
    keys_out = session.scalars(select(ApiKey).join(ApiKey.org).where(ApiKey.role != Role.SECTOR_ANALYST, outside,
                                                                     ApiKey.revoked_at.is_(None))
                               .order_by(ApiKey.prefix))
    return [*(f"user {u.email} ({u.org.slug}) holds {u.role}" for u in users_out),
            *(f"API key {k.prefix} ({k.org.slug}) holds {k.role}" for k in keys_out)]


def set_user_active(session: Session, actor: Actor, user_id: int, active: bool) -> User:
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no user %(user)s"), user=user_id)
    user.active = active
    audit.record(session, actor, "user.activate" if active else "user.deactivate", "user", user.email)
    return user


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no user %(user)s"), user=user_id)
    return user


def set_user_locale(session: Session, user: User, locale: str | None) -> User:
    """The user's own choice of console language (``ncert.i18n.LOCALES``), or None for the browser's."""
    from ncert.i18n import LOCALES

    if locale is not None and locale not in LOCALES:
        raise Invalid(N_("unknown language '%(locale)s'; expected one of %(languages)s"),
                      locale=locale, languages=', '.join(LOCALES))
    if user.locale != locale:
        user.locale = locale
    return user


def set_user_role(session: Session, actor: Actor, user_id: int, role: str) -> User:
    """Give a user another role that fits their organisation; an admin cannot change their own."""
    require_admin(actor)
    try:
        new = Role(role)
    except ValueError:
        raise Invalid(N_("unknown role '%(role)s'; expected one of %(roles)s"),
                      role=role, roles=', '.join(Role)) from None
    user = _user(session, user_id)
    if user.id == actor.user_id:
        raise Conflict(N_("you cannot change your own role; ask another admin"))
    require_role_fits_org(session, new, user.org)
    if user.role is not new:
        old, user.role = user.role, new
        audit.record(session, actor, "user.role", "user", user.email, old=str(old), new=str(new))
    return user


def reset_password(session: Session, actor: Actor, user_id: int, password: str) -> User:
    """Set a new password for a user (the admin hands it over); the old one stops working."""
    require_admin(actor)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(N_("password must have at least %(length)s characters"), length=MIN_PASSWORD_LENGTH)
    user = _user(session, user_id)
    user.password_hash = generate_password_hash(password)
    audit.record(session, actor, "user.reset-password", "user", user.email)
    return user


@functools.cache
def _stand_in_hash() -> str:
    """A hash made the way real ones are, checked when no user matches, so an
    unknown e-mail costs the same work (and time) as a known one."""
    return generate_password_hash(secrets.token_urlsafe(32))


def authenticate_password(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    matches = check_password_hash(user.password_hash if user is not None else _stand_in_hash(), password)
    if user is None or not user.active or not user.org.active or not matches:
        raise Unauthenticated(N_("wrong e-mail or password"))
    user.last_login_at = utcnow()
    return user


# -- API keys -------------------------------------------------------------------


def _hash_key(secret: str) -> str:
    # API keys carry 256 bits of randomness, so a fast hash is enough; the
    # slow-hash argument only applies to guessable passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_keys(session: Session, actor: Actor) -> list[ApiKey]:
    require_admin(actor)
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))


def create_api_key(session: Session, actor: Actor, *, org: str, role: str, name: str = "") -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and never stored."""
    require_admin(actor)
    try:
        key_role = Role(role)
    except ValueError:
        raise Invalid(N_("unknown role '%(role)s'; expected one of %(roles)s"),
                      role=role, roles=', '.join(Role)) from None
    organisation = org_by_slug(session, org)
    require_role_fits_org(session, key_role, organisation)
    prefix = f"{API_KEY_PREFIX}_{secrets.token_hex(4)}"
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        prefix=prefix,
        key_hash=_hash_key(secret),
        name=name,
        role=key_role,
        org_id=organisation.id,
        created_by_id=actor.user_id,
    )
    session.add(key)
    session.flush()
    audit.record(session, actor, "apikey.create", "api_key", prefix, org=org, role=role)
    return key, secret


def revoke_api_key(session: Session, actor: Actor, prefix: str) -> ApiKey:
    require_admin(actor)
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(N_("no API key '%(prefix)s'"), prefix=prefix)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(session, actor, "apikey.revoke", "api_key", prefix)
    return key


def authenticate_key(session: Session, secret: str) -> ApiKey:
    """Resolve a presented key. Revoked and unknown keys are refused alike: one
    query, one answer, so a caller cannot tell a revoked key from a made-up one."""
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash_key(secret.strip()),
                                              ApiKey.revoked_at.is_(None)))
    if key is None or not key.org.active:
        raise Unauthenticated(N_("unknown or revoked API key"))
    now = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_S:
        key.last_used_at = now
    return key
