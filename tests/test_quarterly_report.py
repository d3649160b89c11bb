"""The quarterly national report: the PDF (every page rendered by poppler's pdftoppm
and checked not blank, its text read back by pdftotext), the KPI cards and the
register as CSV, ``ncert report quarterly``, and that only national staff get them;
on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from tests.console import conftest as console_fixtures
from tests.console.issue10_helpers import add_cert_analyst, assessment, new_risk
from tests.services.kpi_helpers import Q3, place, report

LEADER, GRIDCO = "leader@ncert.test", "analyst@gridco.test"
as_user = console_fixtures.as_user  # the signed-in console client, shared with tests/console
DARK = 200  # a grey level below this is ink
MIN_INK = 0.005  # a page with less ink has little but its footer (a footer alone is about 0.15 %)


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        reason = f"the report tests need {tool} (apt-get install poppler-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)  # CI installs it: a missing tool there is a broken run, never a skip
        pytest.skip(reason)
    return path


def pages(pdf: bytes, tmp_path: Path) -> list[float]:
    """Each page's share of ink, rendered at 40 dpi."""
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run([poppler("pdftoppm"), "-png", "-r", "40", str(source), str(tmp_path / "page")], check=True)
    out = []
    for png in sorted(tmp_path.glob("page-*.png")):
        with Image.open(png) as image:
            histogram = image.convert("L").histogram()
        out.append(sum(histogram[:DARK]) / sum(histogram))
    return out


def text_of(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    done = subprocess.run([poppler("pdftotext"), "-layout", str(source), "-"], check=True, capture_output=True)
    return done.stdout.decode()


@pytest.fixture
def quarter(world) -> dict[str, str]:
    refs = {"top": new_risk(world, title="Grid ransomware", assessment=assessment(current=(5, 5), residual=(3, 3))),
            "low": new_risk(world, title="=HYPERLINK(\"http://x\")", assessment=assessment(current=(1, 2)))}
    for day in range(6):
        ref = report(world, GRIDCO, reported=Q3 + timedelta(days=day + 1), tlp="TLP:GREEN", severity=2,
                     indicators=[{"type": "cve", "value": "CVE-2026-1111"}])
        place(world, ref, acknowledged_at=Q3 + timedelta(days=day + 1, minutes=20))
    report(world, "analyst@centralbank.test", reported=Q3 + timedelta(days=9), tlp="TLP:AMBER", severity=4)
    return refs


def test_the_pdf_has_every_part_and_no_blank_page(world, quarter, as_user, tmp_path):
    response = as_user(LEADER).get("/reports/quarterly/2026Q3.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ncert-2026Q3.pdf"'
    ink = pages(response.data, tmp_path)
    assert len(ink) >= 5 + len(world.sectors)  # cover, summary, heat maps, top risks, landscape, one per sector
    assert all(share >= MIN_INK for share in ink), [round(s, 4) for s in ink]
    text = text_of(response.data, tmp_path)
    for part in ("Quarter 2026Q3", "KPI summary by sector", "National risk heat maps", "Top 2 risks by current score",
                 quarter["top"], "Grid ransomware", "Threat landscape 2026Q3", "CVE-2026-1111",
                 "Energy: KPI card 2026Q3", "Health: KPI card 2026Q3", "7 incidents were reported in the quarter"):
        assert part in text, part


def test_an_empty_quarter_still_prints_every_page(world, as_user, tmp_path):
    response = as_user(LEADER).get("/reports/quarterly/2025Q1.pdf")
    ink = pages(response.data, tmp_path)
    assert all(share >= MIN_INK for share in ink), [round(s, 4) for s in ink]
    assert "No risk is assessed yet, so there are no top risks." in text_of(response.data, tmp_path)


def test_the_kpi_cards_and_the_register_as_csv(world, quarter, as_user):
    leader = as_user(LEADER)
    response = leader.get("/reports/quarterly/2026Q3.csv?headers=keys")  # as a script reads it
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by = {(r["card"], r["slug"], r["kpi"]): r for r in rows}
    assert by[("sector", "energy", "incidents")]["value"] == "6"
    assert by[("organization", "centralbank", "incidents")]["value"] == "1"
    ack = by[("organization", "gridco", "time_to_acknowledge_median")]
    assert (float(ack["value"]), ack["target"], ack["status"], ack["previous_period"]) == (1200.0, "3600.0", "green",
                                                                                          "2026Q2")
    register = list(csv.DictReader(io.StringIO(leader.get("/risks.csv?headers=keys").get_data(as_text=True))))
    assert [r["reference"] for r in register] == [quarter["top"], quarter["low"]]
    assert register[0]["current_level"] == "critical" and register[0]["residual_likelihood"] == "3"
    assert register[1]["title"] == "'=HYPERLINK(\"http://x\")"  # never a formula in a spreadsheet


def csv_rows(console, url: str) -> list[list[str]]:
    response = console.get(url)
    assert (response.status_code, response.mimetype) == (200, "text/csv"), url
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_header_row_is_in_the_users_language_unless_keys_are_asked_for(world, quarter, as_user):
    leader = as_user(LEADER)
    leader.get("/kpi?lang=az")  # the user's language, kept in the session and on the profile
    keyed = csv_rows(leader, "/reports/quarterly/2026Q3.csv?headers=keys")
    named = csv_rows(leader, "/reports/quarterly/2026Q3.csv")
    assert keyed[0][:6] == ["card", "slug", "name", "period", "previous_period", "kpi"]
    assert named[0] == ["Kart növü", "Qısa ad", "Ad", "Dövr", "Əvvəlki dövr", "KPI açarı", "Göstərici", "Ölçü vahidi",
                        "Dəyər", "Say", "Əvvəlki dəyər", "Hədəf", "Kəhraba həddi", "Hədəfin mənbəyi", "Status",
                        "Məsul şəxs"]
    assert len(named) == len(keyed) > 1
    label = keyed[0].index("label")
    incidents_keyed, incidents_named = next(pair for pair in zip(keyed[1:], named[1:]) if pair[0][5] == "incidents")
    assert incidents_keyed[label] == "Incidents reported"  # the key file is what it always was
    assert incidents_named[label] == "Bildirilmiş insidentlər"  # the figure's name, as the console's card says it
    assert [c for i, c in enumerate(incidents_named) if i != label] == [
        c for i, c in enumerate(incidents_keyed) if i != label]  # the data is the same

    keyed = csv_rows(leader, "/risks.csv?headers=keys")
    named = csv_rows(leader, "/risks.csv?headers=names")
    assert keyed[0][:3] == ["reference", "title", "status"] and keyed[0][-1] == "updated_at"
    assert named[0][:3] == ["Nömrə", "Başlıq", "Status"] and "Cari səviyyə" in named[0]
    assert named[1:] == keyed[1:]
    ru = as_user(LEADER)
    ru.get("/kpi?lang=ru")
    assert csv_rows(ru, "/risks.csv")[0][:2] == ["Номер", "Заголовок"]
    assert as_user(LEADER).get("/risks.csv?headers=labels").status_code == 400


@pytest.mark.parametrize("who", [GRIDCO, "cert"])
def test_only_national_staff_get_the_report(world, quarter, as_user, who):
    reader = as_user(add_cert_analyst(world) if who == "cert" else who)
    for url in ("/reports/quarterly/2026Q3.pdf", "/reports/quarterly/2026Q3.csv"):
        assert reader.get(url).status_code == 404, url
    assert "Quarterly report" not in reader.text("/kpi")


@pytest.mark.parametrize("period, message", [("2026Q9", "is not a quarter"), ("2099Q1", "has not started yet"),
                                             ("2026-07-01..2026-07-31", "is not a quarter")])
def test_a_bad_period_is_a_clear_400(world, as_user, period, message):
    response = as_user(LEADER).get(f"/reports/quarterly/{period}.pdf")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_the_cli_writes_the_same_report(world, quarter, ncert, tmp_path):
    out = tmp_path / "q3.pdf"
    result = ncert("report", "quarterly", "2026Q3", "--out", str(out))
    bad = ncert("report", "quarterly", "2099Q1", "--out", str(tmp_path / "x.pdf"))
    assert result.exit_code == 0, result.output
    assert "the 2026Q3 report" in result.output
    assert all(share >= MIN_INK for share in pages(out.read_bytes(), tmp_path))
    assert "Grid ransomware" in text_of(out.read_bytes(), tmp_path)
    assert bad.exit_code == 1 and "has not started yet" in bad.output and not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(("lang", "title"), [("az", "Milli kibertəhlükəsizlik hesabatı"),
                                             ("ru", "Национальный отчёт о кибербезопасности")])
def test_the_cli_writes_the_report_in_the_language_asked(world, quarter, ncert, tmp_path, lang, title):
    out = tmp_path / f"q3-{lang}.pdf"
    result = ncert("report", "quarterly", "2026Q3", "--out", str(out), "--lang", lang)
    assert result.exit_code == 0, result.output
    text = text_of(out.read_bytes(), tmp_path)
    assert title in text and "National cybersecurity report" not in text
