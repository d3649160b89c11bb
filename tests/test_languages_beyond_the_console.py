"""Issue 14 past the console's own pages, on each backend: the REST API's error ``detail`` in the caller's
language with a stable ``error`` code; a service's refusal flashed in the console's language; e-mails in
each recipient's language; the quarterly PDF in the user's; playbook texts given per language, checked on
load and picked for their reader."""

from __future__ import annotations

from datetime import datetime, timezone
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from ncert import outbox
from ncert.db import transaction
from ncert.models import Notification, Rfi, Task, User
from ncert.services import rfis
from ncert.taxonomy import Role
from playbooks import engine
from tests.api import conftest as api_fixtures
from tests.api.helpers import PREFIX, bearer
from tests.console import conftest as console_fixtures
from tests.console.helpers import flashes
from tests.playbooks.sinks import SmtpSink

as_user = console_fixtures.as_user  # the signed-in console client, shared with tests/console
api = api_fixtures.api  # the REST API's caller-aware client, shared with tests/api
MISSING = "NC-1999-000001"
NOT_FOUND = {"en": f"no incident '{MISSING}'", "az": f"'{MISSING}' insidenti yoxdur",
             "ru": f"инцидента '{MISSING}' нет"}


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def set_locale(runtime, email: str, locale: str | None) -> None:
    with transaction(runtime.sessions) as s:
        s.scalars(select(User).where(User.email == email)).one().locale = locale


# -- the REST API ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["az", "en", "ru"])
def test_an_api_error_detail_follows_accept_language_and_its_code_stays(api, lang):
    headers = {**bearer(api.key("operator")), "Accept-Language": f"{lang};q=0.9, de;q=1"}
    response = api.client.get(f"{PREFIX}/incidents/{MISSING}", headers=headers)
    assert response.status_code == 404
    assert response.json == {"error": "not_found", "detail": NOT_FOUND[lang]}


def test_werkzeugs_errors_and_the_key_check_speak_the_callers_language_too(api):
    az = {"Accept-Language": "az"}
    unrouted = api.client.get(f"{PREFIX}/nothing-here", headers=az)
    assert unrouted.json == {"error": "not_found", "detail": "Bu URL-də heç nə yoxdur."}
    wrong = api.client.put(f"{PREFIX}/me", json={}, headers={"Accept-Language": "ru"})
    assert wrong.json == {"error": "method_not_allowed", "detail": "Метод PUT не разрешён для этого URL."}
    no_key = api.client.get(f"{PREFIX}/me", headers=az)
    assert no_key.json == {"error": "unauthenticated",
                           "detail": "API açarını 'Authorization: Bearer <key>' kimi göndərin"}
    media = api.client.post(f"{PREFIX}/incidents", data="x", content_type="text/plain",
                            headers={**bearer(api.key("gridco")), "Accept-Language": "ru"})
    assert media.status_code == 415
    assert media.json == {"error": "unsupported_media_type",
                          "detail": "отправляйте тело как application/json, а не 'text/plain'"}


def test_a_422_keeps_pydantics_field_messages_and_translates_its_frame(api):
    response = api.client.post(f"{PREFIX}/incidents", json={"title": "x", "severity": 9, "tlp": "TLP:PURPLE"},
                               headers={**bearer(api.key("gridco")), "Accept-Language": "az"})
    assert response.status_code == 422 and response.json["error"] == "invalid"
    assert len(response.json["errors"]) >= 2
    first = response.json["errors"][0]
    where = ".".join(map(str, first["loc"]))
    assert response.json["detail"] == f"{where}: {first['msg']} (və daha {len(response.json['errors']) - 1})"


def test_the_api_ignores_lang_in_the_url_and_falls_back_to_the_default_locale(backend, tmp_path):
    from tests.conftest import fresh_runtime
    from tests.factories import build_world

    runtime = next(fresh_runtime(backend, tmp_path, NCERT_DEFAULT_LOCALE="ru"))
    world = build_world(runtime)
    from ncert.web import create_app

    client = create_app(runtime).test_client()
    key = bearer(world.key("national-cert", Role.SOC_OPERATOR))
    assert client.get(f"{PREFIX}/incidents/{MISSING}", headers=key).json["detail"] == NOT_FOUND["ru"]
    asked = client.get(f"{PREFIX}/incidents/{MISSING}?lang=az", headers={**key, "Accept-Language": "en"})
    assert asked.json["detail"] == NOT_FOUND["en"]


# -- the console's flashes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_a_refusal_from_a_service_is_flashed_in_the_consoles_language(as_user, world, lang):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Ransomware on SCADA jump host")
    operator = as_user("operator@ncert.test")
    operator.get(f"/queue?lang={lang}")
    response = operator.post(f"/incidents/{ref}/merge", {"merge-into": MISSING}, form_page=f"/incidents/{ref}",
                             follow_redirects=True)
    assert flashes(response) == [("error", NOT_FOUND[lang])]


# -- e-mails and playbook texts ---------------------------------------------------------------------------------------------------


def test_a_playbooks_email_goes_to_each_recipient_in_their_language(world, monkeypatch):
    """crisis-mode writes to the duty officer (an outside address: the default language) and leadership;
    the leader chose Russian."""
    set_locale(world.runtime, "leader@ncert.test", "ru")
    books = engine.install(world.runtime)
    try:
        with SmtpSink() as smtp:
            monkeypatch.setenv("NCERT_SMTP_HOST", "127.0.0.1")
            monkeypatch.setenv("NCERT_SMTP_PORT", str(smtp.port))
            ref = world.submit(world.operator, reporter_org="gridco", severity=5, title="Nationwide grid failure")
            assert outbox.deliver_due(world.runtime) == 2
    finally:
        engine.uninstall(world.runtime)
    assert books
    sent = {tuple(rcpt): message for rcpt, message in smtp.messages}
    english, russian = sent[("duty-officer@ncert.example",)], sent[("leader@ncert.test",)]
    assert subject(english) == f"CRISIS MODE [{ref}] severity 5: Nationwide grid failure"
    assert subject(russian) == f"КРИЗИСНЫЙ РЕЖИМ [{ref}] серьёзность 5: Nationwide grid failure"
    assert "Объявлен кризисный режим" in russian.get_payload(decode=True).decode()
    with world.runtime.sessions() as s:
        assert sorted(s.scalars(select(Notification.target))) == ["duty-officer@ncert.example",
                                                                  "leader@ncert.test"]


def test_a_request_for_information_is_written_in_the_addressees_language(world):
    """The request's e-mail frame in each analyst's language, its dates as that language writes them;
    a playbook's request text in the language most of the organisation's analysts chose."""
    set_locale(world.runtime, "analyst@gridco.test", "az")
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    due = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    with transaction(world.runtime.sessions) as s:
        rfis.ask(s, world.operator, ref, rfis.RfiDraft(org="gridco", title="Logs", question="Send the VPN logs.",
                                                       due_at=due))
    with world.runtime.sessions() as s:
        [note] = s.scalars(select(Notification)).all()
    assert note.subject == f"[{ref}] Məlumat sorğusu: Logs"
    assert note.body.startswith(f"Milli CERT {ref} insidenti ilə bağlı GridCo Transmission təşkilatına")
    assert "Xahiş edirik 30 noy 2026 12:00 UTC tarixinədək cavab verin." in note.body


def test_the_quarterly_pdf_is_in_the_users_language(world, as_user, tmp_path):
    from tests.test_quarterly_report import text_of

    leader = as_user("leader@ncert.test")
    az = text_of(leader.get("/reports/quarterly/2026Q3.pdf?lang=az").data, tmp_path)
    for part in ("Rüb: 2026Q3", "Sektorlar üzrə KPI xülasəsi", "Milli risklərin istilik xəritələri",
                 "Təhdid mənzərəsi, 2026Q3", "Energetika: KPI kartı, 2026Q3", "Bildirilmiş insidentlər",
                 "Səviyyə 4 (Ciddi)"):
        assert part in az, part
    ru = text_of(leader.get("/reports/quarterly/2026Q3.pdf?lang=ru").data, tmp_path)
    assert "Сводка KPI по секторам" in ru and "Quarter 2026Q3" not in ru


def test_a_playbooks_request_and_tasks_go_out_in_their_readers_languages(world, tmp_path):
    """Tasks are the national centre's (its default language); the request is the reporter's (the language
    its analysts chose)."""
    set_locale(world.runtime, "analyst@gridco.test", "ru")
    (tmp_path / "ask.yaml").write_text("""name: ask
version: 1
description: d
triggers: [incident.created]
actions:
  - type: add_tasks
    tasks: [{az: "Loqları yoxlayın", en: "Check the logs", ru: "Проверить журналы"}]
  - type: request_information
    text: {az: "Loqları göndərin", en: "Send the logs", ru: "Пришлите журналы по {reference}"}
""", encoding="utf-8")
    engine.install(world.runtime, tmp_path)
    try:
        ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    finally:
        engine.uninstall(world.runtime)
    with world.runtime.sessions() as s:
        assert [t.title for t in s.scalars(select(Task))] == ["Check the logs"]
        [rfi] = s.scalars(select(Rfi)).all()
        assert (rfi.title, rfi.question) == ("Запрос информации от национального CERT", f"Пришлите журналы по {ref}")


def test_a_risk_review_reminder_is_written_in_its_owners_language(world):
    from datetime import timedelta

    from ncert.models import RiskNotification
    from ncert.services import risk_reviews
    from tests.console.issue10_helpers import new_risk

    now = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    set_locale(world.runtime, "analyst@gridco.test", "ru")
    ref = new_risk(world, next_review_on=(now.date() - timedelta(days=1)).isoformat(),
                   owner={"org": "gridco", "person": "Analyst", "email": "analyst@gridco.test"})
    with transaction(world.runtime.sessions) as s:
        [note] = risk_reviews.notify_reviews(s, world.admin, now)
        assert isinstance(note, RiskNotification)
        assert note.subject == f"[{ref}] срок пересмотра риска пропущен: Ransomware at a grid operator"
        assert note.body == (f"Срок пересмотра риска {ref} (Ransomware at a grid operator) пропущен, "
                             "дата пересмотра: 26 нояб. 2026\u202fг.")  # CLDR's narrow no-break space
