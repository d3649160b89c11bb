"""The whole incident page, the queue and the pages an incident links to, in Azerbaijani (issue 14): no
English word left anywhere a reader meets text, server-side and on each backend, closed ``<select>``s'
options, folded ``<details>``, ``<label>``s, buttons and ``title``/``aria-label``/``placeholder``/``alt``
included (the browser test reads the screen; this reads what the server sends, every form included).

English is judged against the source (``tests.english``): the words of every message the code marks
and of every English vocabulary term and key, less the words Azerbaijani uses too. Data is set aside
by name: what people wrote or named (titles, descriptions, comments, reasons, task and request texts,
people's, organisations' and teams' names, file names, indicator values), read from the database."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from ncert import scoring
from ncert.db import transaction
from ncert.services import assessments, clocks, evidence, incidents, rfis, risk_links, tasks
from ncert.taxonomy import Status
from playbooks import engine
from tests.english import english_in_texts, page_texts, stored_texts

OPERATOR = "operator@ncert.test"
COMMENT = "Reporter called: the OT segment is isolated."
REASON = "confirmed by phone"
TASK = "Image the historian"
RFI_TITLE, RFI_QUESTION = "Historian logs", "Please send the historian's event logs from Monday on."
RISK_TITLE = "OT intrusion at the grid operator"
FILENAME = "ransom-note.txt"
REGIME_TITLE = "Central bank major incident reporting"

@pytest.fixture
def incident(world, runtime) -> str:
    """An incident with something in every panel: indicators, an assessment, a task, a request for information,
    evidence, a deadline, a linked risk, a status change with a reason and a comment on the timeline."""
    from ncert.services import risks
    from ncert.services.risk_records import RiskInput
    from tests.playbooks.helpers import set_entity

    set_entity(world, "gridco", "essential")
    gridco = world.actor("analyst@gridco.test")
    engine.install(runtime)  # the ransomware playbook: deadlines, tasks, a request, its firing on the timeline
    try:
        reference = world.submit(gridco, title="Ransomware on SCADA jump host", tlp="TLP:AMBER",
                                 category="malicious-code/infected-system", severity=4,
                                 description="EDR flagged encryption activity on the engineering workstation.",
                                 indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"},
                                             {"type": "domain-name", "value": "lockbit-c2.example"}])
    finally:
        engine.uninstall(runtime)
    world.submit(gridco, title="Phishing wave against field engineers", tlp="TLP:GREEN",
                 category="fraud/phishing", severity=2, indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"}])
    operator = world.operator
    with transaction(runtime.sessions) as s:
        incidents.transition(s, operator, reference, Status.TRIAGED, REASON)
        incidents.comment(s, operator, reference, COMMENT)
        task = tasks.create(s, operator, reference, tasks.TaskDraft(title=TASK, assignee="me"))
        tasks.change(s, operator, task.id, tasks.TaskChange(status="done"))
        rfis.ask(s, operator, reference, rfis.RfiDraft(org="gridco", title=RFI_TITLE, question=RFI_QUESTION))
        evidence.attach(s, operator, reference, FILENAME, "text/plain", b"pay" * 500, max_bytes=10_000)
        assessments.assess(s, operator, reference, {
            "functional_impact": "significant-impact-to-critical-services", "information_impact": "no-impact",
            "recoverability": "supplemented", "observed_activity": "effect", "potential_impact": "high",
            "outlook": "worsening", "rationale": REASON}, scoring.ScoringConfig())
        risk = risks.create(s, operator, RiskInput.model_validate({
            "title": RISK_TITLE, "owner": {"org": "gridco", "person": "Lars Ekdahl"}, "sectors": ["energy"],
            "threat": {"rsit": ["intrusions"], "attack": ["T0886"]}})).reference
        risk_links.link(s, operator, reference, risk)
        inc = incidents.get(s, operator, reference)
        if not clocks.of_incident(s, operator, inc):
            pytest.fail("the essential entity's incident should run regulatory deadlines")
    return reference


def data_written(runtime) -> list[str]:
    return stored_texts(runtime, COMMENT, REASON, RISK_TITLE, FILENAME, "Lars Ekdahl", "T0886", "198.51.100.7",
                        "lockbit-c2.example")


def english_left(html: str, data: list[str]) -> list[tuple[str, str, list[str]]]:
    return english_in_texts(page_texts(html, "az"), data, "az")


def linked_pages(html: str, reference: str) -> list[str]:
    """The console pages the incident page itself links to (its ``<main>``: the menu's pages are
    ``test_languages.test_every_console_page_in_azerbaijani_leaves_no_english``'s), GET and HTML: not downloads,
    exports or the page itself."""
    main = html[html.index("<main"):html.index("</main>")]
    found = []
    for href in re.findall(r'<a [^>]*href="([^"#]+)"', main):
        href = href.replace("&amp;", "&")
        path = urlsplit(href).path
        if (href.startswith("/") and not href.startswith(("/static/", "/api/")) and "lang=" not in href
                and path != f"/incidents/{reference}" and "/evidence/" not in path and not path.endswith(
                    (".json", ".csv", ".stix", ".atom", "/stix")) and href not in found):
            found.append(href)
    return found


def test_the_check_finds_english_in_options_labels_buttons_and_attributes():
    page = ('<html lang="az"><body><label for="s">Status</label><select id="s"><option value="new">yeni</option>'
            '<option value="triaged">triaged</option></select><button title="Apply triage">Tətbiq et</button>'
            '<input aria-label="Evidence file"><input placeholder="optional"><textarea>typed by a person</textarea>'
            '<nav><a lang="en" href="?lang=en">English</a></nav></body></html>')
    found = [(where, words) for where, _, words in english_left(page, [])]
    assert found == [("<option>", ["triaged"]), ("<button> title", ["Apply", "triage"]),
                     ("<input> aria-label", ["Evidence"]), ("<input> placeholder", ["optional"])]


def test_the_check_allows_codes_by_name_only():
    page = ('<html lang="az"><body><code>playbooks/library/</code><code>run the import</code>'
            '<input placeholder="https://misp.example/feeds/national/"><input placeholder="hxxp://bad[.]example/login">'
            '<pre>final-report 1 months after previous warn 5 days</pre><p>after the report</p></body></html>')
    found = [(where, words) for where, _, words in english_left(page, [])]
    assert found == [("<code>", ["run", "the", "import"]), ("<input> placeholder", ["login"]),
                     ("<p>", ["after", "the", "report"])]


def test_the_whole_incident_page_in_azerbaijani_leaves_no_english(as_user, runtime, incident):
    console = as_user(OPERATOR)
    page = console.text(f"/incidents/{incident}?lang=az")
    assert '<html lang="az">' in page
    assert english_left(page, data_written(runtime)) == []
    # The triage form's statuses and the assessment's answers are terms; what is submitted stays the key.
    assert '<option selected value="triaged">ilkin baxışdan keçib</option>' in page
    assert '<option value="investigating">araşdırılır</option>' in page
    assert ('<option selected value="significant-impact-to-critical-services">kritik xidmətlərə əhəmiyyətli təsir'
            '</option>') in page
    assert '<option selected value="worsening">pisləşir</option>' in page
    assert "NIS2 Maddə 23 üzrə hesabatvermə: ilkin xəbərdarlıq" in page  # the regime's title and the stage
    english = console.text(f"/incidents/{incident}?lang=en")  # English reads as it did: the keys analysts type
    assert '<option selected value="triaged">triaged</option>' in english
    assert ">significant impact to critical services</option>" in english
    assert "NIS2 Art. 23 reporting: early-warning" in english


def test_the_queue_in_azerbaijani_leaves_no_english(as_user, runtime, incident):
    console = as_user(OPERATOR)
    data = data_written(runtime)
    for url in ("/queue?lang=az", "/queue?status=all&lang=az"):
        assert english_left(console.text(url), data) == [], url


def test_the_pages_an_incident_links_to_in_azerbaijani_leave_no_english(as_user, runtime, incident):
    console = as_user(OPERATOR)
    console.text("/queue?lang=az")  # the session keeps the language
    data = data_written(runtime)
    pages = linked_pages(console.text(f"/incidents/{incident}"), incident)
    assert {"/queue", f"/advisory-drafts/new?incidents={incident}", "/indicators/ipv4-addr/198.51.100.7"} <= set(pages)
    assert any(p.startswith("/risks/") for p in pages) and any(p.startswith("/incidents/NC-") for p in pages)
    assert english_on(console, pages, data) == {}


# Who has a menu, and what it is: each role's own menu is read from the page, so a page added to it is checked.
MENU_ROLES = {"national operator": OPERATOR, "admin": "admin@ncert.test", "leadership": "leader@ncert.test",
              "sector analyst": "analyst@gridco.test"}


def menu_pages(html: str) -> list[str]:
    """The console pages the menu (``<nav class="mainnav">``) links to, in its order."""
    start = html.index('<nav class="mainnav">')
    menu = html[start:html.index("</nav>", start)]
    found = []
    for href in re.findall(r'<a [^>]*href="([^"#]+)"', menu):
        href = href.replace("&amp;", "&")
        if href.startswith("/") and href not in found:
            found.append(href)
    return found


@pytest.fixture
def furnished(world, runtime, incident) -> list[str]:
    """Something on every admin and drafting page, so that each links to its item's page: an advisory draft, a team,
    a feed, a regime an admin wrote, the playbook library imported. Returns what the test wrote, as data."""
    from ncert.services import advisories, feeds, playbook_library, regimes, teams
    from playbooks.engine import DEFAULT_LIBRARY
    from tests.advisories.helpers import content

    admin = world.actor("admin@ncert.test")
    with transaction(runtime.sessions) as s:
        advisories.create(s, world.operator, content(), [incident])
        teams.create(s, admin, slug="ot-desk", name="OT desk", email="ot-desk@ncert.example")
        teams.add_member(s, admin, "ot-desk", OPERATOR)
        feeds.add_source(s, admin, name="energy-misp", kind="misp", url="https://misp.energy-cert.example/feeds/national/",
                         org="energy-cert", api_key="k" * 40)
        regimes.save(s, admin, name="central-bank-4h", title=REGIME_TITLE, repeat=False,
                     stages=regimes.parse_stages("initial-report 4 hours after awareness warn 1 hours"), new=True)
        playbook_library.sync_folder(s, admin, DEFAULT_LIBRARY)
    drafted = content()
    return [REGIME_TITLE, "energy-misp", "central-bank-4h", *(p.name for p in drafted.products),
            *(r.summary for r in drafted.references),
            *(t for text in drafted.texts.values() for t in (text.title, text.summary, text.actions))]


@pytest.mark.parametrize("role", MENU_ROLES)
def test_every_page_of_each_roles_menu_in_azerbaijani_leaves_no_english(as_user, runtime, furnished, role):
    """Each role's menu, as the page shows it to them, every page read in Azerbaijani: the trends' charts name
    classes, severities and sectors by their terms, /submit's examples are the catalogue's, and so on."""
    console = as_user(MENU_ROLES[role])
    data = sorted({*data_written(runtime), *furnished}, key=len, reverse=True)
    pages = menu_pages(console.text("/queue?lang=az"))  # the session keeps the language
    assert "/trends" in pages and "/kpi" in pages and "/risks" in pages, pages
    assert english_on(console, pages, data) == {}


def english_on(console, pages: list[str], data: list[str]) -> dict[str, list]:
    """{url: English left} for each of ``pages`` that has some; each must be an HTML page that opens."""
    left = {}
    for url in pages:
        response = console.get(url)
        assert (response.status_code, response.mimetype) == (200, "text/html"), url
        found = english_left(response.get_data(as_text=True), data)
        if found:
            left[url] = found
    return left


def pages_beyond(console, menu: list[str]) -> list[str]:
    """The console pages reachable from the menu's pages through the links in each page's ``<main>`` (a KPI card, a
    risk, a playbook and its versions, a form to add something…), one per path shape (digits and references alike),
    not the menu's own pages, downloads, exports, the public pages or another language's."""
    shapes, found, unread = set(), [], list(menu)
    while unread:
        html = console.text(unread.pop(0))
        main = html[html.index("<main"):html.index("</main>")]
        for href in re.findall(r'<a [^>]*href="([^"#]+)"', main):
            href = href.replace("&amp;", "&")
            path = urlsplit(href).path
            shape = re.sub(r"NC-\d{4}-\d{6}|RISK-\d{4}-\d+|\d+", "N", path)
            if (href.startswith("/") and not href.startswith(("/static/", "/api/", "/advisories/", "/.well-known/"))
                    and "lang=" not in href and "/evidence/" not in path and path not in menu
                    and not path.endswith((".json", ".csv", ".stix", ".atom", "/stix", ".pdf", ".txt"))
                    and shape not in shapes):
                shapes.add(shape)
                found.append(href)
                unread.append(href)
    return found


@pytest.mark.parametrize("role", MENU_ROLES)
def test_the_pages_each_roles_menu_pages_link_to_in_azerbaijani_leave_no_english(as_user, runtime, furnished, role):
    """Further: the KPI cards, a risk and the new-risk form, an advisory draft and the drafting form, the
    organisations' and regimes' edit pages, each playbook's page, editor and versions, incidents and indicators."""
    console = as_user(MENU_ROLES[role])
    data = sorted({*data_written(runtime), *furnished}, key=len, reverse=True)
    pages = pages_beyond(console, menu_pages(console.text("/queue?lang=az")))
    assert any(p.startswith("/kpi/") for p in pages) and any(p.startswith("/indicators/") for p in pages), pages
    if role == "admin":
        assert {"/admin/regimes/central-bank-4h", "/admin/playbooks/crisis-mode", "/admin/playbooks/crisis-mode/versions/1",
                "/advisory-drafts/new"} <= set(pages), pages
    assert english_on(console, pages, data) == {}
