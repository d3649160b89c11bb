"""Three public advisories for the demo, in Azerbaijani and English, published through the real
workflow: an operator drafts, the director (leadership) approves, the operator publishes. The
first is revised once, so the public page and its CSAF document show a revision history.

The vulnerabilities are real and public (the vendors' own advisories are referenced); the
phishing domains and addresses are reserved for documentation (RFC 2606 ``.example``,
RFC 5737 203.0.113.0/24), so the demo publishes nothing anyone could mistake for live data.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.services import advisories

FORTIOS = {
    "texts": {
        "az": {
            "title": "Fortinet FortiOS SSL-VPN komponentində kritik zəiflik (CVE-2024-21762)",
            "summary": "FortiOS əməliyyat sisteminin SSL-VPN komponentində hüdudlardan kənar yazma zəifliyi "
                       "autentifikasiyadan keçməmiş təcavüzkara xüsusi hazırlanmış HTTP sorğuları ilə qurğuda "
                       "uzaqdan ixtiyari kod icra etməyə imkan verir. İstehsalçı zəiflikdən real hücumlarda "
                       "istifadə olunduğunu bildirib. İnternetə açıq FortiGate qurğusu olan dövlət qurumları və "
                       "kritik informasiya infrastrukturu subyektləri xüsusi risk altındadır.",
            "actions": "FortiOS-u dərhal düzəliş edilmiş versiyaya (7.4.3, 7.2.7, 7.0.14, 6.4.15, 6.2.16 və ya "
                       "daha yeni) yeniləməyi tövsiyə edirik. Yeniləmə mümkün olmadıqda SSL-VPN xidmətini "
                       "müvəqqəti söndürün. Qurğunun jurnallarını şübhəli fəaliyyət baxımından yoxlayın, VPN "
                       "istifadəçilərinin parollarını dəyişin və kompromitasiya əlamətləri aşkar etdikdə "
                       "kiberinsident barədə dərhal Milli CERT-ə məlumat verin.",
        },
        "en": {
            "title": "Critical vulnerability in the Fortinet FortiOS SSL-VPN (CVE-2024-21762)",
            "summary": "An out-of-bounds write in the SSL-VPN component of FortiOS lets an unauthenticated attacker "
                       "run arbitrary code on the device through crafted HTTP requests. The vendor reports that "
                       "the flaw is exploited in the wild. State bodies and operators of critical information "
                       "infrastructure with FortiGate devices exposed to the internet are at particular risk.",
            "actions": "Upgrade FortiOS to a fixed version (7.4.3, 7.2.7, 7.0.14, 6.4.15, 6.2.16 or later) now. "
                       "Where that is not yet possible, disable the SSL-VPN service. Review the device's logs "
                       "for suspicious activity, reset VPN users' passwords, and report any sign of compromise "
                       "to the national CERT as a cyber incident without delay.",
        },
    },
    "severity": "critical",
    "products": [
        {"name": "Fortinet FortiOS 7.4.0 to 7.4.2", "cpe": "cpe:2.3:o:fortinet:fortios:7.4.2:*:*:*:*:*:*:*"},
        {"name": "Fortinet FortiOS 7.2.0 to 7.2.6", "cpe": "cpe:2.3:o:fortinet:fortios:7.2.6:*:*:*:*:*:*:*"},
        {"name": "Fortinet FortiOS 7.0.0 to 7.0.13", "cpe": "cpe:2.3:o:fortinet:fortios:7.0.13:*:*:*:*:*:*:*"},
        {"name": "Fortinet FortiOS 6.4.0 to 6.4.14, 6.2.0 to 6.2.15 and 6.0 (all versions)"},
    ],
    "cves": ["CVE-2024-21762"],
    "references": [{"url": "https://www.fortiguard.com/psirt/FG-IR-24-015", "summary": "Fortinet PSIRT FG-IR-24-015"},
                   {"url": "https://www.cve.org/CVERecord?id=CVE-2024-21762", "summary": "CVE-2024-21762"}],
}

FORTIOS_EXPLOITED = {
    **FORTIOS,
    "texts": {
        "az": {**FORTIOS["texts"]["az"],
               "summary": FORTIOS["texts"]["az"]["summary"] + " Milli CERT ölkədə bu zəiflikdən istifadə ilə "
                                                               "bağlı kiberinsidentlər qeydə alıb; aşağıdakı "
                                                               "göstəricilər həmin hücumlarda müşahidə olunub."},
        "en": {**FORTIOS["texts"]["en"],
               "summary": FORTIOS["texts"]["en"]["summary"] + " The national CERT has recorded cyber incidents "
                                                               "in the country that exploit it; the indicators "
                                                               "below were seen in those attacks."},
    },
    "indicators": [{"type": "ipv4-addr", "value": "203.0.113.45"}, {"type": "ipv4-addr", "value": "203.0.113.118"}],
    "change_summary": "Exploitation seen in the country; indicators added",
}

PHISHING = {
    "texts": {
        "az": {
            "title": "Elektron hökumət xidmətləri adından fişinq kampaniyası",
            "summary": "Vətəndaşlara dövlət elektron xidmətləri adından SMS və e-poçt mesajları göndərilir: "
                       "mesajlarda ödənilməmiş cərimə və ya vergi borcu barədə məlumat verilir və saxta ödəniş "
                       "səhifəsinə keçid təklif olunur. Saxta səhifə bank kartı məlumatlarını və birdəfəlik SMS "
                       "kodlarını oğurlayır. Bu kiberinsidentlər bir neçə bank müştərisinin hesabından vəsaitin "
                       "oğurlanması ilə nəticələnib.",
            "actions": "Dövlət qurumları ödəniş tələb edən keçidləri SMS ilə göndərmir. Şübhəli mesajdakı keçidə "
                       "daxil olmamağı, kart məlumatlarını və SMS kodlarını heç kimlə paylaşmamağı tövsiyə "
                       "edirik. Kart məlumatlarını daxil etmisinizsə, dərhal bankınızla əlaqə saxlayıb kartı "
                       "bloklayın. Təşkilatlar aşağıdakı domenləri və ünvanları bloklamalı, kibertəhlükəsizlik "
                       "üzrə məsul şəxslər isə əməkdaşları bu kampaniya barədə xəbərdar etməlidir.",
        },
        "en": {
            "title": "Phishing campaign impersonating e-government services",
            "summary": "Citizens receive SMS and e-mail messages in the name of state e-services claiming an unpaid "
                       "fine or tax debt, with a link to a fake payment page that steals card details and one-time "
                       "SMS codes. These cyber incidents have led to money being stolen from several bank "
                       "customers' accounts.",
            "actions": "State bodies do not send payment links by SMS. Do not open links in such messages and never "
                       "share card details or SMS codes. If you entered card details, call your bank and block the "
                       "card at once. Organisations should block the domains and addresses below, and those "
                       "responsible for cybersecurity should warn their staff about this campaign.",
        },
    },
    "severity": "medium",
    "products": [{"name": "Users of e-government and online banking services (no specific product)"}],
    "indicators": [{"type": "domain-name", "value": "e-gov-odenis.example"},
                   {"type": "domain-name", "value": "cerime-yoxla.example"},
                   {"type": "url", "value": "https://e-gov-odenis.example/pay"},
                   {"type": "ipv4-addr", "value": "203.0.113.77"}],
    "references": [{"url": "https://www.first.org/tlp/", "summary": "FIRST TLP 2.0 (this advisory is TLP:CLEAR)"}],
}

OUTLOOK = {
    "texts": {
        "az": {
            "title": "Microsoft Outlook-da uzaqdan kod icrasına imkan verən zəiflik (CVE-2024-21413)",
            "summary": "Microsoft Outlook xüsusi hazırlanmış keçidləri (\"MonikerLink\") düzgün emal etmir: "
                       "təcavüzkar göndərdiyi e-poçt vasitəsilə istifadəçinin NTLM autentifikasiya məlumatlarını "
                       "ələ keçirə və uzaqdan kod icra edə bilər. Önbaxış paneli də hücum vektorudur, yəni "
                       "məktubu açmaq belə tələb olunmaya bilər.",
            "actions": "Microsoft-un 2024-cü il fevral təhlükəsizlik yeniləmələrini bütün iş stansiyalarında "
                       "quraşdırmağı tövsiyə edirik. Xarici şəbəkəyə çıxan SMB (TCP 445) trafikini perimetrdə "
                       "bloklayın və poçt filtrlərində file:// keçidləri olan məktubları karantinə yönləndirin.",
        },
        "en": {
            "title": "Remote code execution in Microsoft Outlook (CVE-2024-21413)",
            "summary": "Microsoft Outlook mishandles crafted hyperlinks (\"MonikerLink\"): an attacker's e-mail can "
                       "leak the user's NTLM credentials and run code remotely. The preview pane is an attack "
                       "vector, so the message may not even need to be opened.",
            "actions": "Install Microsoft's February 2024 security updates on every workstation. Block outbound SMB "
                       "(TCP 445) at the perimeter, and have mail filters quarantine messages with file:// links.",
        },
    },
    "severity": "high",
    "products": [
        {"name": "Microsoft Office 2016", "cpe": "cpe:2.3:a:microsoft:office:2016:*:*:*:*:*:*:*"},
        {"name": "Microsoft Office 2019", "cpe": "cpe:2.3:a:microsoft:office:2019:*:*:*:*:*:*:*"},
        {"name": "Microsoft Office LTSC 2021", "cpe": "cpe:2.3:a:microsoft:office:2021:*:*:*:ltsc:*:*:*"},
        {"name": "Microsoft 365 Apps for Enterprise"},
    ],
    "cves": ["CVE-2024-21413"],
    "references": [{"url": "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2024-21413",
                    "summary": "Microsoft Security Response Center: CVE-2024-21413"}],
}


def seed(session: Session, operator: Actor, director: Actor) -> list[str]:
    """Publish the three advisories (the first in two revisions); returns their references."""
    published = []
    for content in (OUTLOOK, PHISHING, FORTIOS):
        reference = advisories.create(session, operator, advisories.validated(content)).reference
        _approve_and_publish(session, operator, director, reference, 1)
        published.append(reference)
    advisories.revise(session, operator, published[-1], advisories.validated(FORTIOS_EXPLOITED))
    _approve_and_publish(session, operator, director, published[-1], 2)
    return published


def _approve_and_publish(session: Session, operator: Actor, director: Actor, reference: str, number: int) -> None:
    advisories.submit(session, operator, reference, number)
    advisories.approve(session, director, reference, number)
    advisories.publish(session, operator, reference, number)
