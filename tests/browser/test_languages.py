"""An operator walks the queue and an incident in Azerbaijani (issue 14): ``?lang=az`` once, the session
keeps it, ``<html lang="az">`` on every page, and no English interface string is left on the screen.

"English left" is judged against the source, not a hand-kept list: every message the console marks
for translation (extracted as the catalogue test extracts it) and every English term of the controlled
vocabularies, where Azerbaijani says it differently. A text of the page that reads as one of them is English
the translation missed, and so is one with an English word left in it (``tests.english``: a label built from a
key, an English term inside a translated sentence). The whole page is read, not only what is on the screen: a
closed dropdown's options, a folded form, a tooltip and a screen reader's label are read from the DOM. What the
system writes on an incident's timeline (status changes, playbook firings, requests, tasks, clocks…) is such a
message too. Data (incident titles, descriptions, organisation and user names, references, indicator values, the
comments people write and the reasons they give) is set aside by what the database holds."""

from __future__ import annotations

import json
import re

import pytest

from ncert import i18n
from ncert.db import transaction
from ncert.services import incidents
from ncert.taxonomy import Status
from tests.browser.conftest import click_and_load, screenshot, sign_in, wait_for
from tests.english import english_in_texts, stored_texts
from tests.serving import running_server
from tests.test_translations import catalogue, source_messages

pytestmark = pytest.mark.browser

# Everything a reader of the page may meet, whether shown now or not: every text node outside <script>, <style>
# and a <textarea>'s value (a closed <select>'s options, a folded <details>, an SVG chart's labels), each option's
# and label's textContent, the title, aria-label, placeholder and alt attributes and a button input's value, and the
# document's title; what is marked as another language (the switch names each language in itself) is left out.
PAGE_TEXT = """
const lang = document.documentElement.lang;
const out = [['<title>', document.title]];
const ours = (element) => { const marked = element.closest('[lang]'); return marked && marked.getAttribute('lang') === lang; };
const skipped = new Set(['SCRIPT', 'STYLE', 'TEXTAREA', 'NOSCRIPT']);
const clean = (text) => (text || '').replace(/\\s+/g, ' ').trim();
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const element = node.parentElement;
  const text = clean(node.textContent);
  if (text && element && !skipped.has(element.tagName) && ours(element)) {
    out.push(['<' + element.tagName.toLowerCase() + '>', text]);
  }
}
for (const element of document.querySelectorAll('option, label')) {
  if (ours(element)) out.push(['<' + element.tagName.toLowerCase() + '> textContent', clean(element.textContent)]);
}
for (const element of document.body.querySelectorAll('[title], [aria-label], [placeholder], [alt], input[value]')) {
  if (!ours(element)) continue;
  for (const name of ['title', 'aria-label', 'placeholder', 'alt']) {
    const text = clean(element.getAttribute(name));
    if (text) out.push(['<' + element.tagName.toLowerCase() + '> ' + name, text]);
  }
  if (element.tagName === 'INPUT' && ['submit', 'button', 'reset'].includes(element.type) && clean(element.value)) {
    out.push(['<input> value', clean(element.value)]);
  }
}
return out.filter(([, text]) => text);
"""


def english_patterns(lang: str) -> list[re.Pattern]:
    """The English interface: each message the source marks (its placeholders matching anything) and each
    English vocabulary term, where ``lang`` translates it differently."""
    translated = {m.id: m.string for m in catalogue(lang) if m.id}
    texts = set()
    for message in source_messages():
        for english in (message if isinstance(message, tuple) else (message,)):
            target = translated.get(message)
            if target and english not in (target if isinstance(target, tuple) else (target,)):
                texts.add(english.replace("%%", "%"))
    english_terms = json.loads((i18n.VOCABULARY / "en.json").read_text(encoding="utf-8"))
    theirs = json.loads((i18n.VOCABULARY / f"{lang}.json").read_text(encoding="utf-8"))
    for name, terms in english_terms.items():
        texts.update(label for key, label in terms.items() if theirs[name][key] != label)
    patterns = []
    for text in texts:
        if not re.search(r"[A-Za-z]{2,}", re.sub(r"%\(\w+\)[sd]", "", text)):
            continue  # a message that is all placeholders and signs
        pieces = re.split(r"%\(\w+\)[sd]", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip())
        body = r".+?".join(re.escape(p) for p in pieces)  # the words between placeholders, spaces and all
        patterns.append(re.compile(rf"(?:{body})"))
    return patterns


def english_left(driver, patterns, data: list[str]) -> list:
    """The page's texts that are an English message or term (``patterns``), and those with an English word left
    once the data is set aside (``tests.english``)."""
    texts = [tuple(pair) for pair in driver.execute_script(PAGE_TEXT)]
    named = set(data)  # a person named "Admin" in the assignee list is data, not the English "Admin"
    whole = sorted({text for _, text in texts if text not in named and any(p.fullmatch(text) for p in patterns)})
    return whole + english_in_texts(texts, data, "az")


def test_the_queue_and_an_incident_in_azerbaijani_leave_no_english(world, runtime, browser):
    gridco = world.actor("analyst@gridco.test")
    reference = world.submit(gridco, title="Ransomware on SCADA jump host", tlp="TLP:AMBER",
                             category="malicious-code/infected-system", severity=4,
                             description="EDR flagged encryption activity on the engineering workstation.",
                             indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"}])
    world.submit(gridco, title="Phishing wave against field engineers", tlp="TLP:GREEN",
                 category="fraud/phishing", severity=2)
    comment = "Reporter called: the OT segment is isolated."
    with transaction(runtime.sessions) as s:  # the system's entries on the timeline, and a person's comment
        incidents.transition(s, world.operator, reference, Status.TRIAGED, "confirmed by phone")
        incidents.comment(s, world.operator, reference, comment)
    patterns = english_patterns("az")
    assert any(p.fullmatch("Triage queue") for p in patterns)  # the check itself would see English
    data = stored_texts(runtime, comment, "confirmed by phone", "198.51.100.7")

    with running_server(runtime) as base_url:
        driver = browser
        sign_in(driver, base_url, "operator@ncert.test")
        driver.get(f"{base_url}/queue?lang=az")
        wait_for(driver, "table.queue")
        assert driver.find_element("tag name", "html").get_attribute("lang") == "az"
        assert driver.find_element("css selector", "h1").text == "İlkin baxış növbəsi"
        assert english_left(driver, patterns, data) == []
        screenshot(driver, "queue-az")

        click_and_load(driver, driver.find_element("link text", reference))  # no ?lang: the session keeps it
        wait_for(driver, "form.triage-form")
        assert driver.find_element("tag name", "html").get_attribute("lang") == "az"
        assert "lang=" not in driver.current_url
        # The whole page, the system's timeline entries, the closed dropdowns' options (the triage form's statuses,
        # the assessment's answers) and the folded forms included.
        assert english_left(driver, patterns, data) == []
        statuses = driver.execute_script(
            "return [...document.querySelectorAll('select[name=triage-status] option')].map(o => [o.value, o.textContent])")
        assert ["investigating", "araşdırılır"] in statuses
        assert "Ransomware on SCADA jump host" in driver.find_element("css selector", "h1").text  # data as written
        timeline = [e.text for e in driver.find_elements("css selector", ".timeline .body")]
        assert "GridCo Transmission tərəfindən api vasitəsilə bildirildi" in timeline
        assert "Status: yeni → ilkin baxışdan keçib; səbəb: confirmed by phone" in timeline  # the reason as written
        assert comment in timeline  # a person's comment stays as they wrote it
        screenshot(driver, "incident-az")

        # The same pages in English still read as they did.
        driver.get(f"{base_url}/queue?lang=en")
        wait_for(driver, "table.queue")
        assert driver.find_element("tag name", "html").get_attribute("lang") == "en"
        assert driver.find_element("css selector", "h1").text == "Triage queue"
