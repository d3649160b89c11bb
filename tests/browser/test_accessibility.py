"""WCAG 2.1 AA where a machine can check it (issue 14): axe-core, the engine the accessibility
checkers of the browsers' developer tools run, checks every console page of the main and admin
menus, an incident, an organisation's KPI card, a risk, a playbook and the sign-in page, in English
and in Azerbaijani, in headless Chromium.

axe-core comes with the ``axe-selenium-python`` package (test extras); nothing is downloaded.
Only rules tagged with WCAG 2.0/2.1 level A or AA run (``wcag2a``, ``wcag2aa``, ``wcag21a``,
``wcag21aa``): among them labels and names of form controls (WCAG 2.1 SC 1.3.1, 4.1.2), text
contrast of at least 4.5:1 (SC 1.4.3), a page language (SC 3.1.1), unique ids (SC 4.1.1), table
headers bound to their cells (SC 1.3.1) and link names (SC 2.4.4). Each violation fails the test
with the rule, the page and the elements. What no rule can check (a sensible focus order,
SC 2.4.3) the test checks itself: the first Tab on a signed-in page reaches the skip link
(SC 2.4.1), which leads to the main content (the sign-in page focuses its e-mail field instead)."""

from __future__ import annotations

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import click_and_load, sign_in, wait_for
from tests.console.issue10_helpers import new_risk
from tests.console.test_languages import CONSOLE_PAGES
from tests.serving import running_server

pytestmark = pytest.mark.browser

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The tags this axe-core knows of those (3.x has no rule tagged wcag21a yet, and refuses an unknown tag).
RUN = """const done = arguments[arguments.length - 1];
const known = new Set([].concat(...axe.getRules().map(r => r.tags)));
const tags = %s.filter(t => known.has(t));
if (!tags.includes('wcag2a') || !tags.includes('wcag2aa')) { done([{id: 'axe-error', help: 'no WCAG rules', nodes: []}]); }
axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(r => done(r.violations), e => done([{id: 'axe-error', help: String(e), nodes: []}]));"""


def violations(driver) -> list[str]:
    """axe-core's WCAG A/AA violations on the page in the browser, one line per rule."""
    Axe(driver).inject()
    found = driver.execute_async_script(RUN % WCAG_AA)
    return [f"{v['id']} ({v['help']}): " + "; ".join(
        " ".join(n["target"]) + "".join(f" [{c['message']}]" for c in n.get("any", [])[:1]) for n in v["nodes"][:5])
        for v in found]


def first_tab_reaches_the_skip_link(driver) -> None:
    ActionChains(driver).send_keys(Keys.TAB).perform()
    focused = driver.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link", focused.get_attribute("outerHTML")
    assert focused.get_attribute("href").endswith("#main")
    assert driver.find_element(By.ID, "main").tag_name == "main"


@pytest.mark.parametrize("lang", ["en", "az"])
def test_every_console_page_meets_wcag_21_aa_as_axe_checks_it(world, runtime, browser, lang):
    gridco = world.actor("analyst@gridco.test")
    reference = world.submit(gridco, title="Ransomware on SCADA jump host", tlp="TLP:AMBER",
                             category="malicious-code/infected-system", severity=4,
                             indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"}])
    # The pages a menu leads to one step further: a KPI card, a risk, a playbook.
    details = ("/kpi/gridco", f"/risks/{new_risk(world)}", "/admin/playbooks/crisis-mode")
    driver = browser
    driver.set_script_timeout(120)
    found = {}
    with running_server(runtime) as base_url:
        driver.get(f"{base_url}/login?lang={lang}")
        wait_for(driver, "input[name=email]")  # focused on load (autofocus): no skip link to reach first
        found["/login"] = violations(driver)
        sign_in(driver, base_url, "admin@ncert.test")
        for path in (*CONSOLE_PAGES, *details):
            driver.get(f"{base_url}{path}?lang={lang}")
            wait_for(driver, "main")
            assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
            found[path] = violations(driver)
            if path == "/overview":
                first_tab_reaches_the_skip_link(driver)
        driver.get(f"{base_url}/queue?lang={lang}")
        click_and_load(driver, wait_for(driver, f"a[href$='{reference}']"))
        wait_for(driver, "form.triage-form")
        first_tab_reaches_the_skip_link(driver)
        found[f"/incidents/{reference}"] = violations(driver)
    failing = {page: v for page, v in found.items() if v}
    assert not failing, "\n".join(f"{page}: {line}" for page, lines in failing.items() for line in lines)
