"""What incident traffic looks like, per sector: the simulator's data, no logic.

Category mixes use ENISA RSIT (class, type) pairs (ncert.taxonomy.RSIT). The
mixes, rhythms and shares are plausible national-CERT figures for a demo, not
measurements: finance sees mostly phishing and fraud, energy and water see
scanning and intrusion attempts against exposed OT, government sees DDoS and
phishing, health sees ransomware and data leaks (the pattern described in
ENISA Threat Landscape 2023, https://www.enisa.europa.eu/publications/enisa-threat-landscape-2023).
"""

from __future__ import annotations

from dataclasses import dataclass

Mix = tuple[tuple[str, float], ...]  # ("class/type", weight)

# Reporting rhythm in the country's local time: hour of day and Monday..Sunday.
HOUR_WEIGHTS = (0.22, 0.18, 0.15, 0.15, 0.18, 0.25, 0.45, 0.8, 1.3, 1.7, 1.8, 1.75,
                1.45, 1.65, 1.75, 1.6, 1.35, 1.0, 0.75, 0.6, 0.5, 0.42, 0.35, 0.28)
WEEKDAY_WEIGHTS = (1.0, 1.05, 1.0, 0.98, 0.9, 0.42, 0.35)

# TLP 2.0 labels per RSIT class: mostly AMBER and GREEN.
TLP_DEFAULT = (("TLP:CLEAR", 6), ("TLP:GREEN", 34), ("TLP:AMBER", 45), ("TLP:AMBER+STRICT", 10), ("TLP:RED", 5))
TLP_BY_CLASS: dict[str, tuple[tuple[str, float], ...]] = {
    "fraud": (("TLP:CLEAR", 14), ("TLP:GREEN", 46), ("TLP:AMBER", 34), ("TLP:AMBER+STRICT", 5), ("TLP:RED", 1)),
    "abusive-content": (("TLP:CLEAR", 20), ("TLP:GREEN", 45), ("TLP:AMBER", 33), ("TLP:AMBER+STRICT", 2)),
    "information-gathering": (("TLP:CLEAR", 12), ("TLP:GREEN", 50), ("TLP:AMBER", 35), ("TLP:AMBER+STRICT", 3)),
    "intrusions": (("TLP:GREEN", 12), ("TLP:AMBER", 50), ("TLP:AMBER+STRICT", 24), ("TLP:RED", 14)),
    "information-content-security": (("TLP:GREEN", 8), ("TLP:AMBER", 44), ("TLP:AMBER+STRICT", 30), ("TLP:RED", 18)),
}

# Reporter's first severity guess (national scale 0-5) per category; the
# simulator adds noise and a bump for vital sectors.
SEVERITY_BY_CLASS = {
    "abusive-content": 1, "malicious-code": 2, "information-gathering": 0, "intrusion-attempts": 1,
    "intrusions": 3, "availability": 2, "information-content-security": 2, "fraud": 1, "vulnerable": 1, "other": 1,
}
SEVERITY_BY_CATEGORY = {
    "malicious-code/infected-system": 3, "intrusions/privileged-account-compromise": 4,
    "availability/sabotage": 4, "availability/ddos": 2, "intrusion-attempts/exploit": 2,
    "information-content-security/data-leak": 3, "fraud/phishing": 1,
}

PROFILES: dict[str, Mix] = {
    "finance": (
        ("fraud/phishing", 30), ("fraud/masquerade", 8), ("intrusions/unprivileged-account-compromise", 8),
        ("availability/ddos", 10), ("malicious-code/infected-system", 6), ("malicious-code/malware-distribution", 4),
        ("information-gathering/social-engineering", 6), ("intrusion-attempts/brute-force", 6),
        ("information-content-security/data-leak", 4), ("information-gathering/scanner", 4),
        ("vulnerable/vulnerable-system", 4), ("abusive-content/spam", 5), ("other/undetermined", 3),
    ),
    "energy": (
        ("intrusion-attempts/ids-alert", 14), ("intrusion-attempts/exploit", 10), ("intrusion-attempts/brute-force", 8),
        ("malicious-code/infected-system", 12), ("information-gathering/scanner", 13), ("fraud/phishing", 9),
        ("vulnerable/vulnerable-system", 8), ("vulnerable/potentially-unwanted-accessible", 7),
        ("intrusions/system-compromise", 4), ("availability/outage", 3), ("availability/sabotage", 1),
        ("malicious-code/c2-server", 3), ("other/undetermined", 3),
    ),
    "government": (
        ("availability/ddos", 18), ("fraud/phishing", 17), ("information-gathering/social-engineering", 6),
        ("intrusions/unprivileged-account-compromise", 7), ("intrusions/privileged-account-compromise", 2),
        ("malicious-code/infected-system", 7), ("information-content-security/data-leak", 6),
        ("information-content-security/unauthorised-information-access", 4), ("abusive-content/harmful-speech", 3),
        ("fraud/masquerade", 5), ("intrusion-attempts/exploit", 6), ("vulnerable/vulnerable-system", 5),
        ("information-gathering/scanner", 5), ("abusive-content/spam", 3), ("other/undetermined", 3),
    ),
    "health": (
        ("malicious-code/infected-system", 18), ("information-content-security/data-leak", 12),
        ("information-content-security/unauthorised-information-access", 6), ("fraud/phishing", 14),
        ("intrusions/system-compromise", 6), ("availability/outage", 6), ("intrusion-attempts/exploit", 6),
        ("intrusions/unprivileged-account-compromise", 6), ("vulnerable/vulnerable-system", 6),
        ("information-content-security/data-loss", 3), ("other/undetermined", 3),
    ),
    "telecom": (
        ("availability/ddos", 18), ("vulnerable/ddos-amplifier", 8), ("information-gathering/scanner", 10),
        ("intrusion-attempts/brute-force", 8), ("malicious-code/c2-server", 8), ("malicious-code/infected-system", 6),
        ("availability/outage", 6), ("availability/misconfiguration", 5), ("fraud/unauthorised-use-of-resources", 5),
        ("intrusion-attempts/exploit", 7), ("abusive-content/spam", 6), ("intrusions/system-compromise", 3),
        ("other/undetermined", 3),
    ),
    "transport": (
        ("availability/ddos", 12), ("fraud/phishing", 12), ("malicious-code/infected-system", 12),
        ("intrusion-attempts/exploit", 8), ("information-gathering/scanner", 8), ("availability/outage", 6),
        ("intrusions/unprivileged-account-compromise", 6), ("fraud/masquerade", 5), ("vulnerable/vulnerable-system", 6),
        ("information-content-security/data-leak", 4), ("other/undetermined", 3),
    ),
    "water": (
        ("vulnerable/potentially-unwanted-accessible", 14), ("information-gathering/scanner", 14),
        ("intrusion-attempts/brute-force", 10), ("malicious-code/infected-system", 10), ("fraud/phishing", 10),
        ("intrusions/system-compromise", 4), ("availability/sabotage", 2), ("vulnerable/vulnerable-system", 10),
        ("other/undetermined", 3),
    ),
    "education": (
        ("fraud/phishing", 20), ("intrusions/unprivileged-account-compromise", 14),
        ("fraud/unauthorised-use-of-resources", 8), ("malicious-code/infected-system", 10), ("abusive-content/spam", 8),
        ("information-gathering/scanner", 6), ("availability/ddos", 6), ("information-content-security/data-leak", 6),
        ("vulnerable/vulnerable-system", 6), ("intrusion-attempts/brute-force", 6),
    ),
    "civil-society": (
        ("fraud/phishing", 18), ("information-gathering/social-engineering", 14),
        ("intrusions/unprivileged-account-compromise", 12), ("malicious-code/infected-system", 10),
        ("availability/ddos", 12), ("abusive-content/harmful-speech", 10),
        ("information-content-security/data-leak", 8),
        ("fraud/masquerade", 8),
    ),
    "default": (
        ("fraud/phishing", 16), ("malicious-code/infected-system", 14), ("intrusion-attempts/exploit", 8),
        ("intrusion-attempts/brute-force", 8), ("information-gathering/scanner", 8),
        ("intrusions/unprivileged-account-compromise", 6), ("intrusions/system-compromise", 4), ("fraud/masquerade", 6),
        ("availability/ddos", 6), ("vulnerable/vulnerable-system", 8), ("information-content-security/data-leak", 5),
        ("abusive-content/spam", 5), ("other/undetermined", 4),
    ),
}

# Sector slug -> (profile, relative reporting volume); unknown sectors use "default".
SECTOR_PROFILES: dict[str, tuple[str, float]] = {
    "banking": ("finance", 1.6), "financial-market-infrastructure": ("finance", 1.2), "finance": ("finance", 1.6),
    "energy": ("energy", 1.2), "government": ("government", 1.5), "public-administration": ("government", 1.0),
    "health": ("health", 1.3), "telecom": ("telecom", 1.3), "digital-infrastructure": ("telecom", 1.0),
    "transport": ("transport", 1.0), "drinking-water": ("water", 0.7), "waste-water": ("water", 0.5),
    "education": ("education", 1.0), "research": ("education", 0.7), "civil-society": ("civil-society", 0.7),
}
DEFAULT_PROFILE = ("default", 0.6)

ASSETS: dict[str, tuple[str, ...]] = {
    "finance": ("online banking portal", "payment gateway", "card payment switch", "mobile banking API",
                "customer e-mail gateway", "trading front-end"),
    "energy": ("SCADA historian", "substation gateway", "OT jump host", "metering head-end",
               "DCS engineering workstation", "corporate VPN gateway"),
    "government": ("citizen e-services portal", "e-mail gateway", "document management system",
                   "public website", "remote-access gateway", "HR system"),
    "health": ("PACS server", "electronic health record portal", "laboratory information system",
               "radiology workstation", "patient appointment website", "file server"),
    "telecom": ("core router", "DNS resolver cluster", "customer self-care portal", "BGP edge router",
                "customer premises equipment", "billing platform"),
    "transport": ("ticketing system", "passenger information displays", "booking website",
                  "signalling maintenance laptop", "cargo management system", "crew scheduling system"),
    "water": ("telemetry HMI", "pumping station PLC", "SCADA server", "remote-access modem", "chlorination controller"),
    "education": ("student e-mail", "learning management system", "research computing cluster", "library portal"),
    "civil-society": ("staff mailboxes", "public website", "donor database", "messaging accounts"),
    "default": ("file server", "ERP system", "e-mail gateway", "VPN gateway", "public website", "domain controller"),
}

TITLES: dict[str, tuple[str, ...]] = {
    "fraud/phishing": ("Phishing e-mails impersonating {brand} received by staff",
                       "Credential phishing page imitating the {asset} login",
                       "Phishing wave against {org} customers"),
    "fraud/masquerade": ("Fake website impersonating {org}",
                         "Business e-mail compromise attempt: spoofed CEO payment request",
                         "Social-media accounts impersonating {org}"),
    "fraud/unauthorised-use-of-resources": ("Cryptomining on the {asset}",
                                            "Compromised accounts used to send bulk SMS"),
    "fraud/copyright": ("Pirated content hosted on {org} infrastructure",),
    "intrusions/unprivileged-account-compromise": ("Compromised user mailbox used for internal phishing",
                                                   "Suspicious logins to the {asset} from abroad",
                                                   "Employee credentials found in infostealer logs"),
    "intrusions/privileged-account-compromise": ("Domain administrator account compromised",
                                                 "Privileged access to the {asset} by an unknown party"),
    "intrusions/system-compromise": ("Web shell found on the {asset}", "Compromise of the {asset}",
                                     "Unauthorised remote access to the {asset}"),
    "intrusions/application-compromise": ("Malicious update pushed through the {asset}",
                                          "Application compromise of the {asset}"),
    "intrusions/burglary": ("Break-in at a technical room with network equipment",),
    "intrusion-attempts/ids-alert": ("IDS alerts on the {asset}: known exploit signatures",
                                     "Repeated exploit signatures against the {asset}"),
    "intrusion-attempts/brute-force": ("Password spraying against the {asset}", "Brute-force attempts on remote access",
                                       "Credential-stuffing against the {asset}"),
    "intrusion-attempts/exploit": ("Exploitation attempts against the {asset} ({cve})",
                                   "Attempts to exploit {cve} on the {asset}"),
    "information-gathering/scanner": ("Scanning of {org} address space", "Port scans against the {asset}",
                                      "Reconnaissance scans targeting OT protocols"),
    "information-gathering/social-engineering": ("Phone calls impersonating IT support to obtain passwords",
                                                 "Targeted spear-phishing of {org} staff",
                                                 "LinkedIn approaches to staff with malicious documents"),
    "information-gathering/sniffing": ("Rogue device capturing traffic on the office network",),
    "malicious-code/infected-system": ("Ransomware on the {asset}", "Malware infection on the {asset}",
                                       "Infostealer detected on workstations",
                                       "Endpoint alerts: malware on the {asset}"),
    "malicious-code/c2-server": ("C2 server hosted in {org} network",
                                 "Botnet command-and-control traffic from {org} hosts"),
    "malicious-code/malware-distribution": ("Malware served from a compromised {org} website",
                                            "Malicious attachments sent from {org} domain"),
    "malicious-code/malware-configuration": ("Malware configuration file referencing {org}",),
    "availability/ddos": ("DDoS attack on the {asset}", "Volumetric DDoS against {org}",
                          "Application-layer DDoS on the {asset}"),
    "availability/dos": ("Denial of service against the {asset}",),
    "availability/outage": ("Outage of the {asset}", "Service disruption of the {asset}"),
    "availability/misconfiguration": ("Misconfiguration caused an outage of the {asset}",),
    "availability/sabotage": ("Deliberate manipulation of the {asset}", "Sabotage of the {asset} suspected"),
    "information-content-security/data-leak": ("Data from {org} published on a leak site",
                                               "Leak of personal data from the {asset}"),
    "information-content-security/unauthorised-information-access": ("Unauthorised access to records in the {asset}",),
    "information-content-security/unauthorised-information-modification": ("Records altered in the {asset}",),
    "information-content-security/data-loss": ("Loss of a laptop with unencrypted data",
                                               "Backup media lost in transit"),
    "vulnerable/vulnerable-system": ("Unpatched {cve} on the {asset}", "Vulnerable {asset} exposed to the internet"),
    "vulnerable/potentially-unwanted-accessible": ("{asset} reachable from the internet",
                                                   "Exposed remote-access service on the {asset}"),
    "vulnerable/ddos-amplifier": ("Open resolvers usable for DDoS amplification",
                                  "Open memcached and NTP amplifiers in {org} ranges"),
    "vulnerable/weak-crypto": ("Weak TLS configuration on the {asset}",),
    "vulnerable/information-disclosure": ("Directory listing exposes configuration of the {asset}",),
    "abusive-content/spam": ("Spam sent from a compromised {org} mailbox", "Spam run abusing the {asset}"),
    "abusive-content/harmful-speech": ("Harassment campaign against {org} staff",),
    "other/undetermined": ("Suspicious activity on the {asset}", "Unexplained traffic from the {asset}"),
}

# Phishing lures: (brand as written in a title, stem of the look-alike domains).
BRANDS = (("the tax agency", "tax"), ("the national post", "post"), ("a parcel delivery service", "parcel"),
          ("Microsoft 365", "m365"), ("the eHealth portal", "ehealth"), ("a major bank", "bank"),
          ("the population registry", "registry"), ("a courier company", "courier"),
          ("the state pension fund", "pension"))

DETECTORS = ("EDR alert", "SOC monitoring", "user report", "IDS/IPS", "mail gateway", "firewall logs",
             "a customer complaint", "a partner notification", "threat-intelligence feed")

# Publicly known, widely exploited vulnerabilities (CISA Known Exploited
# Vulnerabilities catalogue, https://www.cisa.gov/known-exploited-vulnerabilities-catalog).
CVES = ("CVE-2023-4966", "CVE-2024-3400", "CVE-2023-46805", "CVE-2024-21762", "CVE-2023-34362",
        "CVE-2021-44228", "CVE-2023-20198", "CVE-2024-1709", "CVE-2019-19781", "CVE-2018-13379")

# Operator notes by category, falling back to the RSIT class, then to GENERIC_NOTES.
OPERATOR_NOTES: dict[str, tuple[str, ...]] = {
    "availability/outage": ("Root-cause analysis requested from the reporter.",
                            "Checked for related outages at other operators."),
    "availability/misconfiguration": ("Root-cause analysis requested from the reporter.",),
    "fraud": ("Asked the reporter for the full message headers.",
              "Requested takedown of the phishing site from the hosting provider.",
              "Added the domains to the national DNS firewall blocklist.",
              "Shared the lure with the sector CERTs under TLP:GREEN."),
    "malicious-code": ("Requested a memory image and EDR triage package.", "Sample submitted to the malware lab.",
                       "C2 addresses shared with the telecom operators for blocking."),
    "intrusions": ("Advised password resets and revocation of active sessions.",
                   "Requested VPN and authentication logs for the last 30 days.",
                   "Incident response team on site with the reporter."),
    "intrusion-attempts": ("Source addresses correlated with other reports this week.",
                           "Advised to apply the vendor patch and hunt for web shells."),
    "availability": ("Upstream providers contacted to filter the attack traffic.",
                     "Attack peaked and subsided; monitoring continues."),
    "information-content-security": ("Data protection authority informed by the reporter.",
                                     "Leak site monitored for further publication."),
}
GENERIC_NOTES = ("Checked passive DNS and our sensor network for related activity.",
                 "Reporter contacted by phone to agree next steps.",
                 "Indicators shared with the sector CERT.")
REPORTER_UPDATES = ("Update from the reporter: affected accounts reset and MFA enforced.",
                    "Update from the reporter: affected hosts isolated and reimaged.",
                    "Update from the reporter: patch applied, no further activity seen.",
                    "Update from the reporter: service restored, monitoring continues.",
                    "Update from the reporter: users warned through the intranet.")
FALSE_POSITIVE_REASONS = ("no impact found", "authorised penetration test", "blocked by existing controls",
                          "duplicate of a report handled by the sector CERT", "informational, no action needed")


@dataclass(frozen=True)
class CampaignKind:
    """A template of a campaign: what it does, to whom, with which indicators."""

    name: str
    mix: Mix
    sectors: tuple[str, ...]
    titles: tuple[str, ...]
    indicators: tuple[tuple[str, int], ...]  # (kind, how many in the campaign's pool)


CAMPAIGNS: tuple[CampaignKind, ...] = (
    CampaignKind(
        "phishing", (("fraud/phishing", 80), ("intrusions/unprivileged-account-compromise", 20)),
        ("banking", "government", "health", "education", "public-administration", "postal-courier", "civil-society",
         "transport"),
        ("Phishing e-mails impersonating {brand} received by staff", "Credential phishing: {brand} lure",
         "Staff entered credentials on a fake {brand} page"),
        (("domain", 3), ("url", 3), ("email", 2), ("ip", 2)),
    ),
    CampaignKind(
        "ransomware", (("intrusion-attempts/exploit", 40), ("malicious-code/infected-system", 40),
                       ("intrusions/system-compromise", 20)),
        ("health", "manufacturing", "public-administration", "energy", "chemicals", "food", "research", "transport",
         "ict-service-management"),
        ("Exploitation of {cve} on the VPN gateway", "Ransomware deployment after {cve} exploitation",
         "Suspicious activity following {cve} exploitation attempts"),
        (("cve", 1), ("ip", 4), ("sha256", 3), ("domain", 1)),
    ),
    CampaignKind(
        "ddos", (("availability/ddos", 90), ("availability/dos", 10)),
        ("government", "banking", "transport", "telecom", "digital-infrastructure", "energy", "public-administration",
         "financial-market-infrastructure"),
        ("Hacktivist DDoS against the {asset}", "DDoS announced by a hacktivist channel hits {org}",
         "Volumetric DDoS against {org}"),
        (("ip", 8),),
    ),
    CampaignKind(
        "infostealer", (("malicious-code/malware-distribution", 40), ("malicious-code/infected-system", 40),
                        ("malicious-code/c2-server", 20)),
        ("banking", "education", "manufacturing", "digital-providers", "government", "health"),
        ("Infostealer delivered through fake software updates", "Infostealer infections: C2 traffic observed",
         "Malicious download site spreading an infostealer"),
        (("url", 2), ("sha256", 3), ("domain", 2), ("ip", 2), ("md5", 1)),
    ),
    CampaignKind(
        "password-spraying",
        (("intrusion-attempts/brute-force", 80), ("intrusions/unprivileged-account-compromise", 20)),
        ("energy", "government", "telecom", "banking", "ict-service-management", "drinking-water", "health"),
        ("Password spraying against remote access from a residential proxy network",
         "Password spraying against the {asset}"),
        (("ip", 6),),
    ),
    CampaignKind(
        "ot-reconnaissance", (("information-gathering/scanner", 60), ("vulnerable/potentially-unwanted-accessible", 25),
                              ("intrusion-attempts/ids-alert", 15)),
        ("energy", "drinking-water", "waste-water", "chemicals", "manufacturing", "transport"),
        ("Scans for Modbus and DNP3 services", "Reconnaissance of exposed industrial control systems",
         "IDS alerts: OT protocol probing against the {asset}"),
        (("ip", 5),),
    ),
    CampaignKind(
        "msp-compromise", (("intrusions/privileged-account-compromise", 40), ("intrusions/application-compromise", 30),
                           ("malicious-code/infected-system", 30)),
        ("ict-service-management", "energy", "banking", "health", "manufacturing"),
        ("Managed service provider's remote-management tool abused",
         "Suspicious activity from the MSP's admin accounts"),
        (("domain", 1), ("sha256", 2), ("ip", 3), ("cve", 1)),
    ),
    CampaignKind(
        "data-extortion", (("information-content-security/data-leak", 70),
                           ("information-content-security/unauthorised-information-access", 30)),
        ("health", "education", "government", "manufacturing", "banking"),
        ("Data from {org} listed on an extortion group's leak site", "Extortion e-mail claiming theft of {org} data"),
        (("onion", 1), ("email", 1), ("ip", 2)),
    ),
    CampaignKind(
        "spear-phishing", (("information-gathering/social-engineering", 50), ("malicious-code/infected-system", 30),
                           ("intrusions/unprivileged-account-compromise", 20)),
        ("civil-society", "government", "research"),
        ("Targeted spear-phishing with a fake conference invitation",
         "Spyware suspected on a staff phone after a targeted message"),
        (("email", 2), ("domain", 2), ("url", 2), ("sha256", 1)),
    ),
)

# Words for generated domain names; reserved TLDs only (RFC 2606).
DOMAIN_WORDS = ("secure", "login", "verify", "account", "portal", "update", "service", "online", "support", "cloud",
                "auth", "id", "mail", "docs", "invoice", "parcel", "refund", "helpdesk", "sync", "cdn", "static", "my")
DOMAIN_TLDS = ("example", "test", "invalid")
