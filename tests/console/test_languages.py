"""The console's language (issue 14): ``?lang=`` (kept in the session and on the profile), else the
profile, else Accept-Language, else NCERT_DEFAULT_LOCALE; ``<html lang>`` follows it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from ncert.config import ConfigError, Settings
from ncert.models import Organization, Sector, User
from tests.conftest import fresh_runtime
from tests.console.helpers import Console

HTML_LANG = re.compile(r'<html lang="([^"]+)">')
OPERATOR = "operator@ncert.test"


def page_lang(response) -> str:
    assert response.status_code == 200, response.status_code
    return HTML_LANG.search(response.get_data(as_text=True)).group(1)


def profile_locale(runtime, email: str) -> str | None:
    with runtime.sessions() as s:
        return s.query(User).filter_by(email=email).one().locale


def set_profile_locale(runtime, email: str, locale: str | None) -> None:
    with runtime.sessions() as s:
        s.query(User).filter_by(email=email).one().locale = locale
        s.commit()


def test_the_default_is_english_and_html_lang_says_so(console):
    assert page_lang(console.get("/login")) == "en"


def test_accept_language_picks_the_best_of_the_three(console):
    assert page_lang(console.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})) == "ru"
    assert page_lang(console.get("/login", headers={"Accept-Language": "de, az;q=0.8, en;q=0.3"})) == "az"
    assert page_lang(console.get("/login", headers={"Accept-Language": "de, fr"})) == "en"


def test_lang_in_the_url_is_kept_for_the_session(client):
    console = Console(client)
    assert page_lang(console.get("/login?lang=az")) == "az"
    assert page_lang(console.get("/login", headers={"Accept-Language": "ru"})) == "az"  # the choice wins
    assert page_lang(console.get("/login?lang=ru")) == "ru"
    assert page_lang(console.get("/login")) == "ru"


@pytest.mark.parametrize("value", ["de", "AZ", "az-Cyrl", "../../etc/passwd", "", "en'><script>"])
def test_an_unknown_lang_is_ignored(console, value):
    response = console.get("/login", query_string={"lang": value}, headers={"Accept-Language": "ru"})
    assert page_lang(response) == "ru"
    assert "<script>" not in response.get_data(as_text=True)
    assert page_lang(console.get("/login")) == "en"  # nothing was kept


def test_the_choice_is_kept_on_a_signed_in_users_profile(as_user, runtime, app):
    assert profile_locale(runtime, OPERATOR) is None
    console = as_user(OPERATOR)
    assert page_lang(console.get("/queue?lang=az")) == "az"
    assert profile_locale(runtime, OPERATOR) == "az"
    again = Console(app.test_client())  # a new session, a browser that prefers Russian: the profile wins
    again.login(OPERATOR)
    assert page_lang(again.get("/queue", headers={"Accept-Language": "ru"})) == "az"


def test_the_profile_outranks_accept_language_and_the_url_outranks_the_profile(as_user, runtime):
    set_profile_locale(runtime, OPERATOR, "ru")
    console = as_user(OPERATOR)
    assert page_lang(console.get("/queue", headers={"Accept-Language": "az"})) == "ru"
    assert page_lang(console.get("/queue?lang=en", headers={"Accept-Language": "az"})) == "en"
    assert profile_locale(runtime, OPERATOR) == "en"


def test_a_language_chosen_before_sign_in_stays_and_fills_an_empty_profile(client, runtime):
    console = Console(client)
    console.get("/login?lang=ru")
    assert console.login(OPERATOR).status_code == 302
    assert page_lang(console.get("/queue")) == "ru"
    assert profile_locale(runtime, OPERATOR) == "ru"
    console.post("/logout")
    assert page_lang(console.get("/login")) == "ru"


def test_every_console_page_offers_the_switch_keeping_its_query(as_user):
    text = as_user(OPERATOR).get("/queue?status=new&lang=ru").get_data(as_text=True)
    for code in ("az", "en", "ru"):
        assert f'href="/queue?status=new&amp;lang={code}" hreflang="{code}"' in text


def test_the_default_locale_setting(backend, tmp_path):
    runtime = next(fresh_runtime(backend, tmp_path, NCERT_DEFAULT_LOCALE="az"))
    from ncert.web import create_app

    app = create_app(runtime)
    assert page_lang(app.test_client().get("/login")) == "az"
    assert page_lang(app.test_client().get("/login", headers={"Accept-Language": "en"})) == "en"


@pytest.mark.parametrize("value", ["de", "english", "az_AZ"])
def test_an_unknown_default_locale_fails_at_startup(tmp_path, value):
    with pytest.raises(ConfigError, match="NCERT_DEFAULT_LOCALE"):
        Settings.from_env({"NCERT_DATA_DIR": str(tmp_path), "NCERT_DEFAULT_LOCALE": value})


def test_the_queue_speaks_the_chosen_language(as_user, world):
    world.submit(world.actor("analyst@gridco.test"), title="Ransomware on a substation")
    console = as_user(OPERATOR)
    az = console.get("/queue?lang=az").get_data(as_text=True)
    assert '<html lang="az">' in az
    assert "İlkin baxış növbəsi" in az and "Triage queue" not in az
    assert ">yeni <b>" in az  # the status tab, from the vocabulary
    assert "Ransomware on a substation" in az  # data stays as written
    ru = console.get("/queue?lang=ru").get_data(as_text=True)
    assert "Очередь первичного разбора" in ru and "Выйти" in ru
    en = console.get("/queue?lang=en").get_data(as_text=True)
    assert "Triage queue" in en and ">new <b>" in en


def test_flashes_and_form_errors_are_translated(client, world):
    console = Console(client)
    console.get("/login?lang=ru")
    response = console.login("nobody@example.test", "wrong password", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Войти" in page and "Пароль" in page  # the form's labels
    assert "неверный e-mail или пароль" in page  # the service's refusal, at the console's door
    assert console.login(OPERATOR).status_code == 302
    page = console.post("/logout", follow_redirects=True).get_data(as_text=True)
    assert "Вы вышли из системы." in page


def test_dates_follow_the_locale_and_stay_utc(as_user, world):
    world.submit(world.actor("analyst@gridco.test"), title="Phishing wave")
    console = as_user(OPERATOR)
    en = console.get("/queue?lang=en").get_data(as_text=True)
    az = console.get("/queue?lang=az").get_data(as_text=True)
    ru = console.get("/queue?lang=ru").get_data(as_text=True)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", en)
    assert re.search(r"\d{1,2} (yan|fev|mar|apr|may|iyn|iyl|avq|sen|okt|noy|dek) \d{4} \d\d:\d\d UTC", az)
    assert re.search(r"\d{1,2}\s\w+\.?\s\d{4}\sг\. \d\d:\d\d UTC", ru)


def test_the_public_advisory_pages_follow_the_url_then_the_browser_and_set_no_cookie(client, world):
    from tests.advisories.helpers import publish

    ref = publish(world)
    az = client.get(f"/advisories/{ref}?lang=az")
    text = az.get_data(as_text=True)
    assert '<html lang="az">' in text and "Redaksiyaların tarixçəsi" in text and "Revision history" not in text
    assert "Set-Cookie" not in az.headers
    ru = client.get("/advisories/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="ru">' in ru and "Бюллетени по кибербезопасности" in ru
    assert "Security advisories" in client.get("/advisories/").get_data(as_text=True)


@pytest.mark.parametrize(("lang", "two_places", "grouped"), [("en", "0.85", "1,234.5"), ("az", "0,85", "1.234,5"),
                                                              ("ru", "0,85", "1\xa0234,5")])
def test_numbers_take_the_locales_decimal_sign_and_grouping(app, lang, two_places, grouped):
    from ncert import i18n

    with app.test_request_context(f"/login?lang={lang}"):
        assert i18n.format_number(0.853, "0.00") == two_places
        assert i18n.format_number(1234.5) == grouped
        assert i18n.format_number(None) == "—"


def test_wtforms_own_messages_follow_the_language(client):
    from tests.console.helpers import csrf_token

    console = Console(client)
    for lang, required in (("az", "Bu sahə mütləq doldurulmalıdır."), ("ru", "Обязательное поле."),
                           ("en", "This field is required.")):
        token = csrf_token(console.get(f"/login?lang={lang}").get_data(as_text=True))
        page = client.post("/login", data={"email": "", "password": "", "csrf_token": token}).get_data(as_text=True)
        assert required in page, lang


CONSOLE_PAGES = ("/queue", "/submit", "/overview", "/kpi", "/landscape", "/trends", "/indicators", "/stix", "/risks",
                 "/advisory-drafts", "/tasks", "/admin/organizations", "/admin/users", "/admin/api-keys",
                 "/admin/feeds", "/admin/teams", "/admin/regimes", "/admin/playbooks", "/admin/models")


class _PageText(HTMLParser):
    """Text nodes of a page outside <style>, skipping what is marked as another language (the switch)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, lang: str):
        super().__init__()
        self.lang, self.stack, self.texts = lang, [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        inherited = self.stack[-1][1] if self.stack else self.lang
        self.stack.append((tag, dict(attrs).get("lang", inherited)))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and self.stack and self.stack[-1][1] == self.lang and self.stack[-1][0] not in ("style", "title"):
            self.texts.append(text)


def test_every_console_page_in_azerbaijani_leaves_no_english(as_user, world, runtime):
    """Server-side, on each backend: every page of the main and admin menus, as an admin, read for text that is
    an English message the source marks or an English vocabulary term; names stored in the database are data."""
    from tests.browser.test_languages import english_patterns

    world.submit(world.actor("analyst@gridco.test"), title="Ransomware on a substation",
                 category="malicious-code/infected-system", severity=3)
    with runtime.sessions() as s:
        data = {name for model in (User, Organization, Sector) for name in s.scalars(select(model.name))}
    patterns = english_patterns("az")
    console = as_user("admin@ncert.test")
    left = {}
    for path in CONSOLE_PAGES:
        response = console.get(f"{path}?lang=az")
        assert response.status_code == 200, path
        page = _PageText("az")
        page.feed(response.get_data(as_text=True))
        english = sorted({t for t in page.texts if t not in data and any(p.fullmatch(t) for p in patterns)})
        if english:
            left[path] = english
    assert left == {}, left
