"""«Сообщения» in a browser: the class teacher's message to the parents of 7А shows as
unread beside «Сообщения» in the header and in the list; the guardian opens the
conversation (it is read then), answers through the form, and the teacher reads the answer;
an announcement to the class is listed."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from ejournal.application.messages import MakeAnnouncement, PostMessage
from ejournal.domain.conversation import group_conversation_id
from tests.servers import Server
from tests.web.conftest import Visit
from tests.web.world import School


def test_a_guardian_reads_and_answers_the_class_teachers_message(
        visit: Callable[..., Visit], school: School, module_server: Server) -> None:
    assert school.class_id is not None
    assert school.school_id is not None
    parents = group_conversation_id("class_parents", school.class_id)
    app = module_server.app()
    try:
        app.execute(PostMessage(school.ids["teacher"], parents, school.school_id,
                                "class_parents", school.class_id,
                                "Уважаемые родители! Собрание в четверг в 18:00, каб. 12."))
        app.execute(MakeAnnouncement(school.ids["teacher"], school.school_id, "class",
                                     school.class_id, "Экскурсия в музей",
                                     "В пятницу после третьего урока, сбор у школы."))
    finally:
        app.close()
    module_server.caught_up()
    guardian = visit()
    page = guardian.login(school.usernames["guardian"])
    menu = page.get_by_role("navigation", name="Разделы")
    # The header says one unread beside «Сообщения»
    link = menu.get_by_role("link", name=re.compile("^Сообщения"))
    expect(link).to_have_text(re.compile(r"Сообщения\s*1"))
    link.click()
    expect(page).to_have_url(re.compile("/messages$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Сообщения")
    row = page.get_by_role("list", name="Разговоры").get_by_role("listitem").filter(
        has_text="7А — родители")
    expect(row).to_contain_text("1")
    expect(page.get_by_role("list", name="Объявления")).to_contain_text("Экскурсия в музей")
    guardian.shoot("messages")
    # When they open it, the message is there, and nothing is unread any more
    row.get_by_role("link", name="7А — родители").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("7А — родители")
    expect(page.get_by_role("list", name="Сообщения")).to_contain_text(
        "Собрание в четверг в 18:00")
    page.reload()
    expect(page.get_by_role("navigation", name="Разделы").get_by_role(
        "link", name=re.compile("^Сообщения"))).to_have_text("Сообщения")
    # and they answer
    page.get_by_label("Новое сообщение").fill("Спасибо, придём.")
    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_role("list", name="Сообщения").get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_role("list", name="Сообщения").get_by_role("listitem").last
           ).to_contain_text("Иванова Ольга")
    guardian.shoot("conversation")
    # Then the teacher has the answer unread
    teacher = visit()
    page = teacher.login(school.usernames["teacher"])
    expect(page.get_by_role("navigation", name="Разделы").get_by_role(
        "link", name=re.compile("^Сообщения"))).to_have_text(re.compile(r"Сообщения\s*1"))
    page.goto(teacher.origin + f"/messages/{parents}")
    expect(page.get_by_role("list", name="Сообщения")).to_contain_text("Спасибо, придём.")
