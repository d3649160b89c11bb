"""The sector registry file: valid, complete, and loaded idempotently by slug."""

import copy

import pytest
import yaml
from sqlalchemy import func, select

from ncert.config import Settings
from ncert.db import transaction
from ncert.models import Organization, Sector
from ncert.taxonomy import OrgKind
from sector_certs import registry
from sector_certs.registry import DEFAULT_PATH, RegistryError


@pytest.fixture
def raw():
    """The shipped registry as plain YAML data, to break on purpose."""
    return yaml.safe_load(DEFAULT_PATH.read_text())


def test_shipped_registry_covers_the_nis2_sectors_and_the_constituency():
    reg = registry.read()
    sectors = {s.slug: s for s in reg.sectors}
    annex_one = {"energy", "transport", "banking", "financial-market-infrastructure", "health", "drinking-water",
                 "waste-water", "digital-infrastructure", "ict-service-management", "public-administration", "space"}
    annex_two = {"postal-courier", "waste-management", "chemicals", "food", "manufacturing", "digital-providers",
                 "research"}
    assert {s for s in sectors if sectors[s].nis2_annex == "I"} >= annex_one
    assert {s for s in sectors if sectors[s].nis2_annex == "II"} == annex_two
    assert {"government", "education", "civil-society"} <= set(sectors)

    orgs = {o.slug: o for o in reg.organizations}
    national = orgs[Settings.from_env({"NCERT_SECRET_KEY": "x"}).national_org]
    assert (national.kind, national.sector) == (OrgKind.STATE_BODY, "government")
    certs = {o.sector for o in reg.organizations if o.kind is OrgKind.SECTOR_CERT}
    assert {"energy", "banking", "health", "telecom", "transport", "government"} <= certs
    partners = [o for o in reg.organizations if o.kind is OrgKind.INTERNATIONAL_PARTNER]
    assert len(partners) >= 10 and all(p.country and p.sector is None for p in partners)
    assert all(o.country == "" for o in reg.organizations if o.kind is not OrgKind.INTERNATIONAL_PARTNER)
    assert {o.kind for o in reg.organizations} == set(OrgKind)
    operators = [o for o in reg.organizations if o.nis2_entity]
    assert {o.nis2_entity for o in operators} == {"essential", "important"} and len(operators) >= 30


def _counts(session):
    return (session.scalar(select(func.count()).select_from(Sector)),
            session.scalar(select(func.count()).select_from(Organization)))


def test_load_inserts_everything_once(runtime):
    reg = registry.read()
    with transaction(runtime.sessions) as s:
        first = registry.load(s)
    assert (first.sectors_added, first.orgs_added) == (len(reg.sectors), len(reg.organizations))
    with transaction(runtime.sessions) as s:
        again = registry.load(s)
    assert again == registry.LoadResult(0, 0, 0, 0)
    with runtime.sessions() as s:
        assert _counts(s) == (len(reg.sectors), len(reg.organizations))
        gridco = s.scalar(select(Organization).where(Organization.slug == "gridco"))
        assert (gridco.sector.slug, gridco.kind) == ("energy", OrgKind.PRIVATE_OPERATOR)
        assert gridco.nis2_entity == "essential"
        partner = s.scalar(select(Organization).where(Organization.slug == "partner-de"))
        assert (partner.sector, partner.country) == (None, "DE")


def test_load_updates_changed_entries_by_slug(runtime, raw):
    with transaction(runtime.sessions) as s:
        registry.load(s)
    changed = copy.deepcopy(raw)
    energy = next(x for x in changed["sectors"] if x["slug"] == "energy")
    energy.update(name="Energy and utilities", criticality=4, nis2_annex="II")
    gridco = next(x for x in changed["organizations"] if x["slug"] == "gridco")
    gridco.update(name="GridCo TSO", sector="transport", nis2_entity="important")
    with transaction(runtime.sessions) as s:
        result = registry.load(s, registry.parse(changed))
    assert result == registry.LoadResult(sectors_added=0, sectors_updated=1, orgs_added=0, orgs_updated=1)
    with runtime.sessions() as s:
        row = s.scalar(select(Sector).where(Sector.slug == "energy"))
        assert (row.name, row.criticality, row.nis2_annex) == ("Energy and utilities", 4, "II")
        org = s.scalar(select(Organization).where(Organization.slug == "gridco"))
        assert (org.name, org.sector.slug, org.nis2_entity) == ("GridCo TSO", "transport", "important")
        assert _counts(s) == (len(raw["sectors"]), len(raw["organizations"]))


def test_load_over_existing_rows_keeps_unlisted_ones(world):
    """The test world already has sectors energy, health, government and a 'finance' the registry lacks."""
    with transaction(world.runtime.sessions) as s:
        result = registry.load(s)
    reg = registry.read()
    assert result.sectors_added == len(reg.sectors) - 3  # energy, health, government existed
    with world.runtime.sessions() as s:
        slugs = list(s.scalars(select(Organization.slug)))
        assert len(slugs) == len(set(slugs))
        assert {"partner-cert", "powergen", "finance-cert"} <= set(slugs)
        assert s.scalar(select(Sector).where(Sector.slug == "finance")) is not None
        assert s.get(Organization, world.orgs["gridco"]).name == "GridCo Transmission System Operator"


def _org(raw, slug):
    return next(x for x in raw["organizations"] if x["slug"] == slug)


@pytest.mark.parametrize("breakage, message", [
    (lambda r: _org(r, "gridco").update(sector="nuclear"), "organization 'gridco': unknown sector 'nuclear'"),
    (lambda r: _org(r, "gridco").update(kind="utility"), "organization 'gridco': unknown kind 'utility'"),
    (lambda r: r["organizations"].append(dict(_org(r, "gridco"))), "duplicate organization slug 'gridco'"),
    (lambda r: r["sectors"].append(dict(r["sectors"][0])), "duplicate sector slug 'government'"),
    (lambda r: r["sectors"][0].update(criticality=7), "sector 'government': criticality must be"),
    (lambda r: r["sectors"][0].update(nis2_annex="III"), "sector 'government': nis2_annex must be"),
    (lambda r: _org(r, "gridco").update(secotr="energy"), "organization 'gridco': unknown field\\(s\\) secotr"),
    (lambda r: _org(r, "partner-de").update(country=False), "organization 'partner-de': country must be a quoted"),
    (lambda r: _org(r, "partner-de").update(sector="energy"), "'partner-de': an international partner"),
    (lambda r: _org(r, "gridco").update(nis2_entity="vital"), "organization 'gridco': nis2_entity must be"),
    (lambda r: _org(r, "gridco").pop("name"), "organization 'gridco': 'name' is required"),
    (lambda r: r["organizations"].append({"slug": "Bad Slug", "name": "x"}), "slug 'Bad Slug' must be"),
    (lambda r: r.pop("sectors"), "top-level keys"),
])
def test_broken_registry_is_refused_naming_the_entry(raw, breakage, message):
    breakage(raw)
    with pytest.raises(RegistryError, match=message):
        registry.parse(raw, source="registry.yaml")


def test_unreadable_file_names_the_file(tmp_path):
    path = tmp_path / "registry.yaml"
    path.write_text("sectors: [unclosed\n")
    with pytest.raises(RegistryError, match=str(path)):
        registry.read(path)
