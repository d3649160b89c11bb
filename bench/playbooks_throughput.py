"""Incidents per second through the full default playbook library and detection.

A fresh SQLite database gets a small constituency and COUNT incidents (a mix
that fires every default playbook now and then, most firing none), and an
anomaly model is trained on them. Then, in batches, each batch its own
transaction, as for a burst of intake: the engine runs incident.created
(facts read in grouped queries, the library evaluated, matching actions
applied through the services); cross-sector correlation looks up each
report's indicators and runs indicator.correlated on the reports carrying
them; the batch is scored by the anomaly model and anomaly.flagged runs on
those at the threshold. E-mail is recorded, not sent (NCERT_SMTP_HOST unset). The
process's garbage collector is tuned as ``ncert serve``'s and ``ncert worker``'s once they
have started (``ncert.gc_tuning.settle``).

The run is made twice: once with every report categorised by its reporter, and once
with every report arriving without a category (the worst case for issue 13), where
each batch is first categorised (``detection.categorisation.suggest_many``: both
categorisers trained on the shipped corpus, a confident suggestion setting the
category) before the playbooks and detection see it.

Usage: playbooks_throughput.py [COUNT]   (default 20,000)
Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

import detection  # noqa: E402
from detection import anomaly, categorisation, service, training  # noqa: E402
from detection.settings import DetectionSettings  # noqa: E402
from ncert import gc_tuning  # noqa: E402
from ncert.config import Settings  # noqa: E402
from ncert.db import transaction, utcnow  # noqa: E402
from ncert.models import CategorySuggestion, Incident, Organization, PlaybookFiring, Sector  # noqa: E402
from ncert.records import IncidentRecord  # noqa: E402
from ncert.runtime import Runtime  # noqa: E402
from ncert.schema import upgrade  # noqa: E402
from ncert.services import directory, incidents  # noqa: E402
from ncert.taxonomy import OrgKind  # noqa: E402
from playbooks import engine  # noqa: E402
from playbooks.loader import load_library  # noqa: E402

BATCH = 500
SECTORS = [("energy", 5), ("finance", 4), ("health", 5), ("government", 4), ("transport", 4), ("water", 5)]
# (weight, category, title, description): a national queue is mostly routine
# reports; about one in eight matches a default playbook.
KINDS = [
    (3, "malicious-code/infected-system", "LockBit ransomware encrypted file servers", "Ransom note on 30 hosts."),
    (2, "availability/ddos", "DDoS against the citizen e-services portal", "UDP flood, 40 Gbit/s."),
    (2, "information-content-security/data-leak", "Customer data published", "Personal data of 5,000 people."),
    (2, "intrusions/application-compromise", "VPN appliance compromised", "CVE actively exploited in the wild."),
    (1, "fraud/phishing", "Phishing campaign impersonating the tax office", "Several organisations received it."),
    (10, "malicious-code/infected-system", "Commodity malware on a workstation", "EDR quarantined it."),
    (10, "fraud/phishing", "Phishing e-mail reported by staff", "One recipient clicked."),
    (15, "malicious-code/c2-server", "Beaconing to known C2", "EDR alert on one workstation."),
    (25, "information-gathering/scanner", "Port scan from abroad", "Routine scanning."),
    (20, "intrusion-attempts/brute-force", "SSH brute force", "Blocked by fail2ban."),
    (10, "abusive-content/spam", "Spam run from a compromised mailbox", "Outbound spam blocked."),
]


def seed(sessions, count: int, rng: random.Random, categorised: bool = True) -> list[int]:
    with transaction(sessions) as s:
        for slug, crit in SECTORS:
            s.add(Sector(slug=slug, name=slug.title(), nis2_annex="I", criticality=crit))
        s.flush()
        sector_ids = {sec.slug: sec.id for sec in s.scalars(select(Sector))}
        s.add(Organization(slug="national-cert", name="National CERT", kind=OrgKind.STATE_BODY,
                           sector_id=sector_ids["government"]))
        for slug, _ in SECTORS:
            for n in range(3):
                s.add(Organization(slug=f"{slug}-{n}", name=f"{slug} operator {n}", kind=OrgKind.PRIVATE_OPERATOR,
                                   sector_id=sector_ids[slug], nis2_entity=("essential", "important", None)[n]))
    orgs = [f"{slug}-{n}" for slug, _ in SECTORS for n in range(3)]
    shared = [f"198.51.100.{i}" for i in range(1, 6)]
    for start in range(0, count, BATCH):
        with transaction(sessions) as s:
            actor = directory.system_actor(s, "national-cert", "bench")
            for i in range(start, min(start + BATCH, count)):
                _, category, title, description = rng.choices(KINDS, weights=[k[0] for k in KINDS])[0]
                severity = 4 if i % 500 == 0 else rng.choice((1, 1, 1, 2, 2, 3))
                # One report in fifty carries a campaign indicator others reported too.
                ip = rng.choice(shared) if i % 50 == 0 else f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
                indicators = [{"type": "ipv4-addr", "value": ip},
                              {"type": "domain-name", "value": f"host{i}.bench.example"}]
                record = IncidentRecord(title=title, description=description, severity=severity,
                                        reporter_org=rng.choice(orgs), indicators=indicators,
                                        **({"category": category} if categorised else {}))
                incidents.submit(s, actor, record, channel="bench")
    with sessions() as s:
        return list(s.scalars(select(Incident.id).order_by(Incident.id)))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    os.environ.pop("NCERT_SMTP_HOST", None)
    given = measure(count, categorised=True)
    suggested = measure(count, categorised=False)
    print(json.dumps({**given, "uncategorised_with_categorisation": suggested}))


def measure(count: int, categorised: bool) -> dict:
    rng = random.Random(2026)
    library = load_library(engine.DEFAULT_LIBRARY)
    with tempfile.TemporaryDirectory(prefix="ncert-playbooks-") as tmp:
        runtime = Runtime.create(Settings.from_env({"NCERT_DATA_DIR": tmp, "NCERT_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                                                    "NCERT_SECRET_KEY": "bench"}))
        db, sessions = runtime.engine, runtime.sessions
        upgrade(db)
        ids = seed(sessions, count, rng, categorised)
        with transaction(sessions) as s:
            anomaly.train(s, directory.system_actor(s, "national-cert", "bench"), min_incidents=1)
            if not categorised:
                training.train(s, "bench")
        engine.install(runtime)  # detection hands its findings to the installed library
        detection.install(runtime, DetectionSettings())
        threshold = runtime.settings.category_suggestion_threshold
        gc_tuning.settle()  # as `ncert serve` and `ncert worker` once started: the burst is their requests' work
        started = time.perf_counter()
        for start in range(0, len(ids), BATCH):
            with transaction(sessions) as s:
                actor = directory.system_actor(s, "national-cert", "bench")
                batch = list(s.scalars(select(Incident).where(Incident.id.in_(ids[start : start + BATCH]))
                                       .order_by(Incident.id)))
                if not categorised:
                    categorisation.suggest_many(s, actor, batch, threshold)
                engine.run_many(s, actor, "incident.created", batch, library)
                service.detect(s, batch, batch, utcnow())
        seconds = time.perf_counter() - started
        detection.uninstall(runtime)
        engine.uninstall(runtime)
        with sessions() as s:
            firings = s.scalar(select(func.count()).select_from(PlaybookFiring))
            fired_incidents = s.scalar(select(func.count(PlaybookFiring.incident_id.distinct())))
            suggested = s.scalar(select(func.count()).select_from(CategorySuggestion))
            applied = s.scalar(select(func.count()).select_from(CategorySuggestion).where(CategorySuggestion.applied))
        db.dispose()
    return {"incidents": count, "playbooks": len(library), "batch": BATCH, "seconds": round(seconds, 2),
            "incidents_per_s": round(count / seconds), "incidents_fired_on": fired_incidents,
            "actions_applied": firings, "suggestions": suggested, "suggestions_applied": applied, "backend": "sqlite"}


if __name__ == "__main__":
    main()
