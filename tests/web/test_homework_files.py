"""Homework files in a browser, on SQLite and PostgreSQL: the teacher attaches a worksheet on
the lesson's page (a program renamed .pdf is refused, said in Russian), the guardian sees it
in the child's diary and downloads it, byte for byte."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.web.conftest import Visit
from tests.web.world import School

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_teacher_attaches_a_worksheet_and_the_family_downloads_it(
    visit: Callable[..., Visit], school: School, tmp_path: Path,
) -> None:
    journal, lesson = school.journals["Математика"], school.lessons["this_maths"]
    teacher = visit()
    teacher.login(school.usernames["teacher"])
    page = teacher.go(f"/journals/{journal}/lessons/{lesson}")
    expect(page.get_by_role("heading", name="Файлы к домашнему заданию")).to_be_visible()
    expect(page.get_by_text("Файлов пока нет.")).to_be_visible()
    # A program named as a PDF is refused, by its bytes
    page.get_by_label(re.compile("^Файл \\(PDF")).set_input_files(
        {"name": "лист.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + bytes(64)})
    page.get_by_role("button", name="Прикрепить файл").click()
    expect(page.get_by_role("heading", name="Файл не прикреплён")).to_be_visible()
    expect(page.get_by_text(re.compile("тип определяется по содержимому файла"))).to_be_visible()
    # A worksheet is attached and listed
    page = teacher.go(f"/journals/{journal}/lessons/{lesson}")
    page.get_by_label(re.compile("^Файл \\(PDF")).set_input_files(
        {"name": "Лист 5. Дроби.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Прикрепить файл").click()
    expect(page.get_by_role("status")).to_have_text("Файл прикреплён.")
    expect(page.get_by_role("link", name="Лист 5. Дроби.pdf")).to_be_visible()
    teacher.shoot("lesson-files")
    # The guardian finds it in the diary and downloads it
    guardian = visit()
    guardian.login(school.usernames["guardian"])
    page = guardian.go(f"/diary?student={school.ids['anna']}&week={school.monday.isoformat()}")
    files = page.get_by_role("list", name="Файлы к заданию")
    expect(files.get_by_role("link", name="Лист 5. Дроби.pdf")).to_be_visible()
    guardian.shoot("diary-files")
    with page.expect_download() as arrived:
        files.get_by_role("link", name="Лист 5. Дроби.pdf").click()
    download = arrived.value
    assert download.suggested_filename == "Лист 5. Дроби.pdf"
    saved = tmp_path / "got.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF
