"""A seeded, reproducible incident traffic simulator.

``simulate(seed=…, count=…, end=…, days=…)`` lazily yields ``count`` simulated
reports spread over the ``days`` before ``end``, in report-time order. Each
carries an ``IncidentRecord`` as a reporting organisation would submit it and
the lifecycle the national centre would give it (triage, investigation,
containment, resolution, closure, or a merge into an earlier duplicate),
truncated at ``end``. Traffic follows a business-hours and weekday rhythm;
campaigns reuse their indicators across several sectors within days.

Pure Python: one ``random.Random(seed)``, no database, no clock. The same
arguments always give the same stream. The constituency comes from the sector
registry (``sector_certs.registry.read``) unless another is given.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Iterator

from ncert.records import IncidentRecord
from ncert.taxonomy import OrgKind, Status
from sector_certs import profiles as P
from sector_certs.registry import OrgEntry, Registry, read

LOCAL_TZ = timezone(timedelta(hours=1), "local")  # the fictional country's standard time
CAMPAIGN_SHARE = 0.4  # of reports while a campaign runs
DUPLICATE_SHARE = 0.15  # of campaign reports that repeat an earlier one
CAMPAIGN_GAP_DAYS = 1.6  # mean time between campaign starts
DUPLICATE_WINDOW = timedelta(days=3)
# Reports not made by the victim itself: from abroad, from the national sensors, forwarded by a sector CERT.
PARTNER_SHARE, NATIONAL_SHARE, SECTOR_CERT_SHARE = 0.035, 0.025, 0.2

# Address ranges: campaigns use the RFC 5737 documentation ranges; one-off
# indicators use the RFC 2544 benchmarking range 198.18.0.0/15 and the RFC 3849
# IPv6 documentation prefix, so unrelated reports do not share addresses by chance.
TEST_NETS = ("192.0.2", "198.51.100", "203.0.113")
IPV6_DOC = int(ipaddress.IPv6Address("2001:db8::"))


@dataclass(frozen=True)
class Step:
    """One action of the planned lifecycle, at a simulated time."""

    at: datetime
    action: str  # "triage" | "status" | "comment" | "merge"
    status: Status | None = None
    text: str = ""
    assign: bool = False  # triage: the operator takes the incident
    severity: int | None = None  # triage: the operator's re-assessment, when it differs
    internal: bool = False
    by_reporter: bool = False  # a comment the reporting organisation writes
    into: int | None = None  # merge target: the ``seq`` of an earlier event


@dataclass(frozen=True)
class Lifecycle:
    steps: tuple[Step, ...]
    operator: int  # which national operator handles it (an index, taken modulo the staff size)

    @property
    def final(self) -> Status:
        """How far the incident progressed by the end of the simulated window."""
        for step in reversed(self.steps):
            if step.action == "merge":
                return Status.MERGED
            if step.action in ("triage", "status"):
                return step.status
        return Status.NEW

    @property
    def duplicate_of(self) -> int | None:
        return next((s.into for s in self.steps if s.action == "merge"), None)


@dataclass(frozen=True)
class SimulatedEvent:
    seq: int
    reported_at: datetime
    record: IncidentRecord
    lifecycle: Lifecycle
    campaign: str | None = None  # ground truth: the campaign this report belongs to


def simulate(*, seed: int, count: int, end: datetime, days: float = 90,
             registry: Registry | None = None) -> Iterator[SimulatedEvent]:
    """Yield ``count`` events reported between ``end - days`` and ``end``, oldest first."""
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    if count < 0 or days <= 0:
        raise ValueError("count must be >= 0 and days > 0")
    return _Stream(seed, registry or read(), end - timedelta(days=days), end).events(count)


def surge(*, seed: int, sector: str, category: str, start: datetime, count: int, hours: float,
          first_seq: int, registry: Registry | None = None) -> list[SimulatedEvent]:
    """``count`` reports of ``category`` by ``sector``'s organisations at uniform times in the ``hours``
    after ``start``: a wave of one kind of incident hitting one sector, the ground truth a detector is
    evaluated against. Reports are numbered from ``first_seq``, so their external ids differ from those
    of a ``simulate`` stream of fewer than ``first_seq`` reports."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    end = start + timedelta(hours=hours)
    stream = _Stream(seed, registry or read(), start, end)
    if sector not in stream.by_sector:
        raise ValueError(f"no organisation reports for sector {sector!r}")
    times = sorted(start + timedelta(seconds=int(stream.rng.random() * hours * 3600)) for _ in range(count))
    return [stream.one_of(first_seq + n, at, sector, category) for n, at in enumerate(times)]


# -- internals ------------------------------------------------------------------------


@dataclass
class _Campaign:
    ident: str
    kind: P.CampaignKind
    start: datetime
    end: datetime
    sectors: tuple[str, ...]
    brand: tuple[str, str]
    cve: str
    pool: list[tuple[str, str]]
    recent: deque = field(default_factory=lambda: deque(maxlen=30))  # _Original entries


@dataclass(frozen=True)
class _Original:
    """An earlier campaign report a later one may duplicate."""

    seq: int
    reported_at: datetime
    closed_at: datetime | None
    victim: OrgEntry
    reporter: str
    category: str
    title: str
    indicators: tuple[tuple[str, str], ...]


class _Stream:
    """One simulated stream: all its randomness comes from one ``random.Random(seed)``."""

    def __init__(self, seed: int, registry: Registry, start: datetime, end: datetime):
        self.rng = random.Random(seed)
        self.seed = seed
        self.start, self.end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
        self.orgs = {o.slug: o for o in registry.organizations}
        self.criticality = {s.slug: s.criticality for s in registry.sectors}
        # Victims are the constituency's organisations; CERTs only report on their behalf.
        victims = [o for o in registry.organizations
                   if o.sector and o.kind is not OrgKind.SECTOR_CERT and o.slug != "national-cert"]
        self.by_sector: dict[str, list[OrgEntry]] = {}
        for org in victims:
            self.by_sector.setdefault(org.sector, []).append(org)
        self.victims = victims
        self.victim_weights = list(accumulate(_org_weight(o) * _profile(o.sector)[1] for o in victims))
        self.org_weights = {s: list(accumulate(map(_org_weight, orgs))) for s, orgs in self.by_sector.items()}
        self.sectors = sorted(self.by_sector)
        self.sector_certs = {o.sector: o.slug for o in registry.organizations if o.kind is OrgKind.SECTOR_CERT}
        self.partners = [o.slug for o in registry.organizations if o.kind is OrgKind.INTERNATIONAL_PARTNER]
        self.national = "national-cert" if "national-cert" in self.orgs else None
        self.campaigns: list[_Campaign] = []
        self.campaign_count = 0
        self.next_campaign = self.start - timedelta(days=self.rng.uniform(0, 5))

    # -- time ------------------------------------------------------------------------

    def _report_times(self, count: int) -> Iterator[datetime]:
        """``count`` sorted times with the hour-of-day and weekday rhythm.

        Sorted uniforms are drawn one at a time (each is the minimum of the
        remaining ones) and mapped through the inverse of the rhythm's
        cumulative intensity, so nothing is held in memory.
        """
        edges = [self.start]
        t = self.start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while t < self.end:
            edges.append(t)
            t += timedelta(hours=1)
        edges.append(self.end)
        weights = []
        for a, b in zip(edges, edges[1:]):
            local = a.astimezone(LOCAL_TZ)
            weights.append(P.HOUR_WEIGHTS[local.hour] * P.WEEKDAY_WEIGHTS[local.weekday()] * (b - a).total_seconds())
        cumulative = list(accumulate(weights))
        total = cumulative[-1]
        u = 0.0
        for k in range(count):
            u += (1.0 - u) * (1.0 - (1.0 - self.rng.random()) ** (1.0 / (count - k)))
            target = u * total
            i = min(bisect.bisect_left(cumulative, target), len(weights) - 1)
            before = cumulative[i] - weights[i]
            frac = (target - before) / weights[i] if weights[i] else 0.0
            span = (edges[i + 1] - edges[i]).total_seconds()
            yield min(edges[i] + timedelta(seconds=int(frac * span)), self.end)

    def _delay(self, low_minutes: float, high_minutes: float) -> timedelta:
        """Log-uniform delay: short waits are common, long ones possible."""
        minutes = math.exp(self.rng.uniform(math.log(low_minutes), math.log(high_minutes)))
        return timedelta(seconds=round(minutes * 60))

    # -- the stream -----------------------------------------------------------------

    def events(self, count: int) -> Iterator[SimulatedEvent]:
        for seq, at in enumerate(self._report_times(count)):
            yield self._event(seq, at)

    def _event(self, seq: int, at: datetime) -> SimulatedEvent:
        rng = self.rng
        active = self._active_campaigns(at)
        campaign = rng.choice(active) if active and rng.random() < CAMPAIGN_SHARE else None
        original = self._duplicate_candidate(campaign, at) if campaign else None
        if original is not None:
            return self._duplicate(seq, at, campaign, original)
        if campaign:
            victim = self._org_in(rng.choice(campaign.sectors))
            category = _weighted(rng, campaign.kind.mix)
            pool = campaign.pool
            indicators = rng.sample(pool, rng.randint(1, min(4, len(pool))))
            title = rng.choice(campaign.kind.titles)
        else:
            victim = self.victims[bisect.bisect_left(self.victim_weights, rng.random() * self.victim_weights[-1])]
            category = _weighted(rng, P.PROFILES[_profile(victim.sector)[0]])
            indicators = self._one_off_indicators(category)
            title = rng.choice(P.TITLES.get(category, ("Suspicious activity on the {asset}",)))
        reporter = self._notifier(victim)
        severity = self._severity(category, victim.sector)
        record = self._record(seq, at, reporter, victim, category, severity, title, indicators, campaign)
        lifecycle = self._lifecycle(at, category, severity)
        if campaign:
            closed = next((s.at for s in lifecycle.steps if s.status is Status.CLOSED), None)
            campaign.recent.append(_Original(seq, at, closed, victim, reporter, category, record.title,
                                             tuple(indicators)))
        return SimulatedEvent(seq, at, record, lifecycle, campaign.ident if campaign else None)

    def one_of(self, seq: int, at: datetime, sector: str, category: str) -> SimulatedEvent:
        """A report of ``category`` by one of ``sector``'s organisations, outside any campaign."""
        rng = self.rng
        victim = self._org_in(sector)
        title = rng.choice(P.TITLES.get(category, ("Suspicious activity on the {asset}",)))
        severity = self._severity(category, sector)
        record = self._record(seq, at, self._notifier(victim), victim, category, severity, title,
                              self._one_off_indicators(category), None)
        return SimulatedEvent(seq, at, record, self._lifecycle(at, category, severity))

    def _notifier(self, victim: OrgEntry) -> str:
        """Who reports: mostly the victim, sometimes its sector CERT, a foreign partner or the national sensors."""
        r = self.rng.random()
        if r < PARTNER_SHARE and self.partners:
            return self.rng.choice(self.partners)
        if r < PARTNER_SHARE + NATIONAL_SHARE and self.national:
            return self.national
        if r < PARTNER_SHARE + NATIONAL_SHARE + SECTOR_CERT_SHARE and victim.sector in self.sector_certs:
            return self.sector_certs[victim.sector]
        return victim.slug

    def _org_in(self, sector: str) -> OrgEntry:
        return self.rng.choices(self.by_sector[sector], cum_weights=self.org_weights[sector])[0]

    # -- campaigns ------------------------------------------------------------------

    def _active_campaigns(self, at: datetime) -> list[_Campaign]:
        while self.next_campaign <= at:
            self.campaigns.append(self._new_campaign(self.next_campaign))
            self.next_campaign += timedelta(days=self.rng.expovariate(1 / CAMPAIGN_GAP_DAYS))
        self.campaigns = [c for c in self.campaigns if c.end >= at]
        return [c for c in self.campaigns if c.start <= at]

    def _new_campaign(self, start: datetime) -> _Campaign:
        rng = self.rng
        kind = rng.choice(P.CAMPAIGNS)
        self.campaign_count += 1
        targets = [s for s in kind.sectors if s in self.by_sector] or self.sectors
        sectors = tuple(rng.sample(targets, min(len(targets), rng.randint(3, 6))))
        brand = rng.choice(P.BRANDS)
        cve = rng.choice(P.CVES)
        pool: list[tuple[str, str]] = []
        for kind_name, n in kind.indicators:
            for _ in range(n):
                pool.append(self._indicator(kind_name, brand=brand[1], cve=cve, shared=True))
        pool = list(dict.fromkeys(pool))
        return _Campaign(f"C{self.campaign_count:03d}-{kind.name}", kind, start,
                         start + timedelta(days=rng.uniform(2, 9)), sectors, brand, cve, pool)

    def _duplicate_candidate(self, campaign: _Campaign, at: datetime) -> _Original | None:
        if not campaign.recent or self.rng.random() >= DUPLICATE_SHARE:
            return None
        # A duplicate is merged within hours; its original must still be open then.
        merge_by = at + timedelta(hours=8)
        fits = [o for o in campaign.recent
                if at - o.reported_at <= DUPLICATE_WINDOW and (o.closed_at is None or o.closed_at > merge_by)]
        return self.rng.choice(fits) if fits else None

    def _duplicate(self, seq: int, at: datetime, campaign: _Campaign, original: _Original) -> SimulatedEvent:
        """The same incident reported again, typically forwarded by the sector CERT."""
        rng = self.rng
        cert = self.sector_certs.get(original.victim.sector)
        if original.reporter != original.victim.slug:
            reporter = original.victim.slug  # the victim reports directly as well
        else:
            reporter = cert or original.reporter
        indicators = rng.sample(original.indicators, rng.randint(1, len(original.indicators)))
        severity = self._severity(original.category, original.victim.sector)
        prefix = "Forwarded: " if reporter == cert else "Update: "
        record = self._record(seq, at, reporter, original.victim, original.category, severity,
                              prefix + original.title, indicators, campaign, literal_title=True)
        ack = at + self._delay(5, 240)
        steps = [Step(ack, "triage", Status.TRIAGED)]
        merge_at = ack + self._delay(5, 240)
        steps.append(Step(merge_at, "merge", text="Duplicate of an earlier report with the same indicators",
                          into=original.seq))
        lifecycle = Lifecycle(tuple(s for s in steps if s.at <= self.end), rng.randrange(8))
        return SimulatedEvent(seq, at, record, lifecycle, campaign.ident)

    # -- content --------------------------------------------------------------------

    def _indicator(self, kind: str, *, brand: str = "", cve: str = "", shared: bool = False) -> tuple[str, str]:
        """One (type, value) in canonical form; ``brand`` is the stem of look-alike domains."""
        rng = self.rng
        if kind == "ip":
            if shared:
                return "ipv4-addr", f"{rng.choice(TEST_NETS)}.{rng.randint(1, 254)}"
            if rng.random() < 0.2:
                return "ipv6-addr", str(ipaddress.IPv6Address(IPV6_DOC + rng.getrandbits(64)))
            return "ipv4-addr", f"198.{rng.randint(18, 19)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if kind == "domain":
            return "domain-name", self._domain(brand)
        if kind == "url":
            path = rng.choice(("login", "verify", "account/update", "download", "invoice", "track"))
            return "url", f"https://{self._domain(brand)}/{path}/{rng.getrandbits(32):08x}"
        if kind == "email":
            local = rng.choice(("noreply", "support", "security", "billing", "info", "hr"))
            return "email-addr", f"{local}@{self._domain(brand)}"
        if kind == "onion":
            return "domain-name", f"{rng.getrandbits(80):020x}.onion"
        if kind == "cve":
            return "cve", cve or rng.choice(P.CVES)
        if kind in ("sha256", "md5"):
            bits = 256 if kind == "sha256" else 128
            return kind, f"{rng.getrandbits(bits):0{bits // 4}x}"
        raise ValueError(f"unknown indicator kind {kind!r}")

    def _domain(self, stem: str) -> str:
        rng = self.rng
        first, second = rng.sample(P.DOMAIN_WORDS, 2)
        return f"{stem or first}-{second}{rng.randint(1, 999)}.{rng.choice(P.DOMAIN_TLDS)}"

    def _one_off_indicators(self, category: str) -> list[tuple[str, str]]:
        rng = self.rng
        cls = category.split("/")[0]
        kinds = {
            "fraud": ("domain", "url", "email", "ip"), "malicious-code": ("sha256", "md5", "domain", "ip"),
            "intrusion-attempts": ("ip", "ip", "cve"), "information-gathering": ("ip", "ip"),
            "availability": ("ip", "ip", "ip"), "intrusions": ("ip", "domain", "sha256"),
            "vulnerable": ("ip", "cve"), "abusive-content": ("email", "domain"),
        }.get(cls)
        if not kinds:
            return []
        return list(dict.fromkeys(self._indicator(rng.choice(kinds)) for _ in range(rng.randint(0, 3))))

    def _severity(self, category: str, sector: str) -> int:
        rng = self.rng
        base = P.SEVERITY_BY_CATEGORY.get(category, P.SEVERITY_BY_CLASS.get(category.split("/")[0], 1))
        base += rng.choices((-1, 0, 1), (0.2, 0.6, 0.2))[0]
        if self.criticality.get(sector, 3) >= 5 and rng.random() < 0.3:
            base += 1
        return max(0, min(5, base))

    def _record(self, seq: int, at: datetime, reporter: str, victim: OrgEntry, category: str, severity: int,
                title: str, indicators: list[tuple[str, str]], campaign: _Campaign | None,
                *, literal_title: bool = False) -> IncidentRecord:
        rng = self.rng
        org = self.orgs[reporter]
        sector = victim.sector
        profile = _profile(sector)[0]
        asset = rng.choice(P.ASSETS.get(profile, P.ASSETS["default"]))
        cve = campaign.cve if campaign else rng.choice(P.CVES)
        brand = (campaign.brand if campaign else rng.choice(P.BRANDS))[0]
        if not literal_title:
            title = title.format(org=victim.name, asset=asset, cve=cve, brand=brand)
            if org.kind is OrgKind.INTERNATIONAL_PARTNER:
                title = f"Notification from {org.name.split(' (')[0]}: {title}"
            elif reporter == self.national:
                title = f"National sensor network: {title}"
        occurred = at - self._delay(10, 4 * 24 * 60)
        aware = occurred + (at - occurred) * rng.uniform(0.2, 0.95)
        detector = rng.choice(P.DETECTORS)
        cls = category.split("/")[0]
        tlp = _weighted(rng, P.TLP_BY_CLASS.get(cls, P.TLP_DEFAULT))
        description = (
            f"{title}. Affected organisation: {victim.name} ({sector}); affected asset: {asset}. "
            f"Detected through {detector}; first activity around {occurred:%d %b %Y %H:%M} UTC. "
            f"{len(indicators)} indicator(s) attached."
        )
        # Outages and DDoS at a telecom or digital-infrastructure provider ripple into its customers' sectors.
        affected: list[str] = []
        if cls == "availability" and profile == "telecom" and rng.random() < 0.5:
            affected = rng.sample(self.sectors, 2)
        return IncidentRecord(
            title=title[:300],
            description=description,
            category=category,
            severity=severity,
            tlp=tlp,
            sector=sector,
            affected_sectors=[s for s in affected if s != sector],
            reporter_org=reporter,
            occurred_at=occurred,
            aware_at=aware,
            external_ids={"simulator": f"{self.seed}-{seq}"},  # unique within a stream: a replay is idempotent
            indicators=[{"type": t, "value": v, "confidence": rng.choice((50, 70, 80, 90)),
                         "count": rng.randint(1, 40), "first_seen": occurred, "last_seen": aware}
                        for t, v in indicators],
        )

    # -- lifecycle ------------------------------------------------------------------

    def _lifecycle(self, at: datetime, category: str, severity: int) -> Lifecycle:
        rng = self.rng
        operator = rng.randrange(8)
        if rng.random() < 0.03:  # never picked up: stays in the backlog
            return Lifecycle((), operator)
        hi = {5: 30, 4: 60, 3: 180, 2: 480}.get(severity, 1440)
        t = at + self._delay(3, hi)
        reassessed = max(0, min(5, severity + rng.choice((-1, 1)))) if rng.random() < 0.12 else severity
        steps = [Step(t, "triage", Status.TRIAGED, assign=rng.random() < 0.85,
                      severity=reassessed if reassessed != severity else None,
                      text="Re-assessed at triage" if reassessed != severity else "")]
        cls = category.split("/")[0]
        noisy = cls in ("vulnerable", "information-gathering", "abusive-content", "other")
        false_positive = rng.random() < (0.35 if noisy else 0.08)
        if false_positive:
            t += self._delay(10, 2 * 24 * 60)
            steps.append(Step(t, "status", Status.CLOSED, text=f"Closed: {rng.choice(P.FALSE_POSITIVE_REASONS)}"))
        else:
            stop = _weighted(rng, (("triaged", 6), ("investigating", 10), ("contained", 6), ("resolved", 15),
                                   ("closed", 63)))
            containable = cls in ("malicious-code", "intrusions", "intrusion-attempts", "availability",
                                  "information-content-security")
            if stop == "contained" and not containable:
                stop = "investigating"
            path = ["investigating", "contained", "resolved", "closed"]
            path = path[: path.index(stop) + 1] if stop in path else []
            # Not every incident passes every stage: simple ones skip the investigation,
            # many are closed straight after containment or investigation.
            if "contained" in path and stop != "contained" and (not containable or rng.random() < 0.3):
                path.remove("contained")
            if "investigating" in path and stop != "investigating" and severity <= 1 and rng.random() < 0.5:
                path.remove("investigating")
            if stop == "closed" and rng.random() < 0.4:
                path.remove("resolved")
            reasons = {"investigating": "Investigation started", "contained": "Affected systems isolated",
                       "resolved": "Remediation confirmed by the reporter", "closed": "Final report received"}
            spans = {"investigating": (20, 24 * 60), "contained": (60, 3 * 24 * 60),
                     "resolved": (120, 10 * 24 * 60), "closed": (24 * 60, 14 * 24 * 60)}
            for status in path:
                t += self._delay(*spans[status])
                steps.append(Step(t, "status", Status(status), text=reasons[status]))
        first, last = steps[0].at, max(s.at for s in steps)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            when = first + (last - first + timedelta(hours=2)) * rng.random()
            if rng.random() < 0.35:
                steps.append(Step(when, "comment", text=rng.choice(P.REPORTER_UPDATES), by_reporter=True))
            else:
                notes = P.OPERATOR_NOTES.get(category) or P.OPERATOR_NOTES.get(cls, P.GENERIC_NOTES)
                steps.append(Step(when, "comment", text=rng.choice(notes), internal=rng.random() < 0.4))
        closing = [s for s in steps if s.status is Status.CLOSED]
        steps.sort(key=lambda s: s.at)
        if closing:  # nothing happens to a closed incident after closure
            steps = [s for s in steps if s.at <= closing[0].at]
        return Lifecycle(tuple(s for s in steps if s.at <= self.end), operator)


def _profile(sector: str) -> tuple[str, float]:
    return P.SECTOR_PROFILES.get(sector, P.DEFAULT_PROFILE)


def _org_weight(org: OrgEntry) -> float:
    return {"essential": 3.0, "important": 2.0}.get(org.nis2_entity, 1.0)


@functools.cache
def _table(pairs: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    return [p[0] for p in pairs], list(accumulate(p[1] for p in pairs))


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    """Pick from constant (value, weight) pairs."""
    population, cumulative = _table(pairs)
    return rng.choices(population, cum_weights=cumulative)[0]
