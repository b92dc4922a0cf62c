"""Homework files in a browser, on SQLite and PostgreSQL: the teacher attaches a worksheet on
the lesson's page (a program renamed .pdf is refused, said in Russian), the guardian sees it
in the child's diary and downloads it, byte for byte; the teacher removes one (a reason,
confirmed), and the diary stops offering it while the lesson's history keeps it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Dialog, expect

from ejournal.web.i18n import moment
from tests.api.helpers import log_length
from tests.web.conftest import Visit
from tests.web.world import TZ, School

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


def test_a_teacher_removes_a_file_and_the_lesson_history_keeps_it(
    visit: Callable[..., Visit], school: School,
) -> None:
    """Removing is a retraction (R-7.2): asked to confirm, with a reason; the diary no longer
    offers the file, and the lesson's history says it was attached and removed, by whom and
    when."""
    server = school.server
    journal, lesson = school.journals["Русский язык"], school.lessons["this_russian"]
    here = f"/journals/{journal}/lessons/{lesson}"
    teacher = visit()
    teacher.login(school.usernames["teacher"])
    page = teacher.go(here)
    page.get_by_label(re.compile("^Файл \\(PDF")).set_input_files(
        {"name": "Упражнение 45.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Прикрепить файл").click()
    expect(page.get_by_role("status")).to_have_text("Файл прикреплён.")
    link = page.get_by_role("link", name="Упражнение 45.pdf")
    address = teacher.origin + str(link.get_attribute("href"))
    guardian = visit()
    guardian.login(school.usernames["guardian"])
    diary = f"/diary?student={school.ids['anna']}&week={school.monday.isoformat()}"
    files = guardian.go(diary).get_by_role("list", name="Файлы к заданию")
    expect(files.get_by_role("link", name="Упражнение 45.pdf")).to_be_visible()
    assert guardian.page.request.get(address).body() == PDF
    before = log_length(server)
    # Without a reason the file stays (the browser asks for one; the server refuses too)
    page.get_by_text("Удалить", exact=True).click()
    form = page.get_by_role("form", name="Удалить файл «Упражнение 45.pdf»")
    token = form.locator("input[name=csrf]").get_attribute("value")
    bare = page.request.post(f"{address}/retraction", form={"csrf": str(token), "reason": " "},
                             max_redirects=0)
    assert bare.status == 422
    assert "«Причина удаления»: укажите, почему файл удаляется" in bare.text()
    assert log_length(server) == before
    # Nor when the teacher answers the confirmation «no»
    form.get_by_label("Причина удаления").fill("Прикреплён не к тому уроку")
    asked: list[str] = []

    def say_no(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    form.get_by_role("button", name="Удалить файл").click()
    expect(link).to_be_visible()
    assert asked == ["Удалить файл «Упражнение 45.pdf»? Ученики и родители больше не смогут "
                     "его скачать; в истории урока останется, что он был прикреплён и удалён."]
    assert log_length(server) == before
    # When the teacher confirms
    removed_at = server.clock()
    page.once("dialog", lambda dialog: dialog.accept())
    form.get_by_role("button", name="Удалить файл").click()
    expect(page.get_by_role("status")).to_contain_text("Файл удалён.")
    expect(page.get_by_text("Файлов пока нет.")).to_be_visible()
    assert log_length(server) == before + 1
    teacher.shoot("lesson-file-removed")
    # Then the diary no longer offers it, and its address is «Не найдено»
    page_g = guardian.go(diary)
    expect(page_g.locator("main")).to_contain_text("Причастный оборот")
    expect(page_g.get_by_role("link", name="Упражнение 45.pdf")).to_have_count(0)
    gone = guardian.page.request.get(address)
    assert gone.status == 404
    assert "Не найдено" in gone.text()
    # and the lesson's history keeps both facts, with who and when
    page.get_by_role("link", name="истории урока").click()
    history = page.get_by_role("list", name="История урока")
    when = moment(removed_at, TZ)
    expect(history.get_by_role("listitem").filter(has_text="файл прикреплён")).to_have_text(
        f"{when} · Мария Ивановна Учителева: файл прикреплён «Упражнение 45.pdf»")
    expect(history.get_by_role("listitem").filter(has_text="файл удалён")).to_have_text(
        f"{when} · Мария Ивановна Учителева: файл удалён «Упражнение 45.pdf», причина: "
        "Прикреплён не к тому уроку")
    teacher.shoot("lesson-history-files")
