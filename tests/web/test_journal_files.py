"""The journal's files from its grid in a browser: «Скачать XLSX» downloads the period's
sheets, «Печать» answers its paper form as a PDF - the session's own access, as the API's."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.web.conftest import Visit
from tests.web.world import School


def test_the_grid_prints_and_downloads(visit: Callable[..., Visit], school: School) -> None:
    teacher = visit()
    page = teacher.login(school.usernames["teacher"])
    page.get_by_role("link", name="7А · Математика").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    path = download.value.path()
    assert path.read_bytes()[:2] == b"PK"  # a zip: the XLSX
    printed = page.get_by_role("link", name="Печать").get_attribute("href")
    assert printed is not None
    answer = page.request.get(teacher.origin + printed)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.body()[:5] == b"%PDF-"
    expect(page.get_by_role("heading", level=1)).to_have_text("7А · Математика")


def _pdf_of(v: Visit, name: str) -> bytes:
    href = v.page.get_by_role("link", name=name).get_attribute("href")
    assert href is not None
    answer = v.page.request.get(v.origin + href)
    assert answer.status == 200, answer.text()
    assert answer.headers["content-type"] == "application/pdf"
    return answer.body()


def test_the_report_card_and_the_summary_sheet(visit: Callable[..., Visit],
                                               school: School) -> None:
    guardian = visit()
    page = guardian.login(school.usernames["guardian"])
    page.get_by_role("link", name="Отметки").click()
    assert _pdf_of(guardian, "Табель (PDF)")[:5] == b"%PDF-"
    admin = visit()
    page = admin.login(school.usernames["admin"])
    page.get_by_role("link", name="7А", exact=True).click()
    assert _pdf_of(admin, "Сводная ведомость (PDF)")[:5] == b"%PDF-"
