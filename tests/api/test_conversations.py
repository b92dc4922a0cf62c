"""Conversations over HTTP (R-5.2f, R-5.3a) on SQLite and PostgreSQL: a class's and its
parents' conversations from the class's creation, messages, read marks and unread counts,
retraction, direct conversations only among people who may see each other's data, and
membership that follows a transfer and a guardian's unlink - before and after."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from ejournal.application.commands import EndEnrolment, UnlinkGuardian
from tests.api.helpers import School, build_school, created, error_fields, log_length, problem
from tests.servers import Server


def _get(server: Server, token: str, path: str) -> Any:
    with server.client(token) as c:
        answer = c.get(path)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _post(server: Server, token: str, path: str, body: dict[str, Any]) -> httpx.Response:
    with server.client(token) as c:
        return c.post(path, json=body)


def _conversations(server: Server, token: str) -> dict[str, dict[str, Any]]:
    items = _get(server, token, "/api/v1/me/conversations")["items"]
    return {item["kind"]: item for item in items if item["kind"] != "direct"}


def _texts(server: Server, token: str, conversation: str) -> list[str]:
    items = _get(server, token, f"/api/v1/conversations/{conversation}/messages")["items"]
    return [item["text"] for item in items]


def test_the_class_and_its_parents_talk_and_unread_counts_follow_reads(server: Server) -> None:
    s = build_school(server, "cv")
    # Given the class's conversations, there from its creation
    teacher = _conversations(server, s.tokens["teacher"])
    assert {k: v["title"] for k, v in teacher.items()} == {
        "staff": "Учительская", "class": "7Б", "class_parents": "7Б — родители"}
    parents = teacher["class_parents"]["id"]
    assert set(_conversations(server, s.tokens["guardian"])) == {"class_parents"}
    assert set(_conversations(server, s.tokens["student"])) == {"class"}
    # When the class teacher writes to the parents
    written = created(_post(server, s.tokens["teacher"],
                            f"/api/v1/conversations/{parents}/messages",
                            {"text": "Собрание в четверг в 18:00"}))
    # Then the guardian has it unread, with its author
    assert _conversations(server, s.tokens["guardian"])["class_parents"]["unread"] == 1
    (message,) = _get(server, s.tokens["guardian"],
                      f"/api/v1/conversations/{parents}/messages")["items"]
    assert (message["id"], message["author_name"], message["text"], message["retracted"]) == (
        written["id"], "Мария Ивановна", "Собрание в четверг в 18:00", False)
    # and once read up to it, nothing is unread
    with server.client(s.tokens["guardian"]) as c:
        assert c.post(f"/api/v1/conversations/{parents}/read",
                      json={"up_to": written["id"]}).status_code == 204
    assert _conversations(server, s.tokens["guardian"])["class_parents"]["unread"] == 0
    # and the student (not a parent) cannot find the parents' conversation
    with server.client(s.tokens["student"]) as c:
        problem(c.get(f"/api/v1/conversations/{parents}/messages"), 404)
        problem(c.post(f"/api/v1/conversations/{parents}/messages", json={"text": "Привет"}),
                404)
    # nor a guardian of another school
    other = build_school(server, "cx")
    with server.client(other.tokens["guardian"]) as c:
        problem(c.get(f"/api/v1/conversations/{parents}/messages"), 404)
    assert parents not in {i["id"] for i in _get(server, other.tokens["guardian"],
                                                 "/api/v1/me/conversations")["items"]}


def test_a_message_is_1_to_4000_characters_and_a_retraction_keeps_the_fact(
        server: Server) -> None:
    s = build_school(server, "cr")
    room = _conversations(server, s.tokens["student"])["class"]["id"]
    path = f"/api/v1/conversations/{room}/messages"
    before = log_length(server)
    assert error_fields(problem(_post(server, s.tokens["student"], path,
                                      {"text": "я" * 4001}), 422)) == ["text"]
    assert error_fields(problem(_post(server, s.tokens["student"], path, {"text": ""}),
                                422)) == ["text"]
    assert log_length(server) == before
    longest = created(_post(server, s.tokens["student"], path, {"text": "я" * 4000}))
    mine = created(_post(server, s.tokens["student"], path, {"text": "Что задали?"}))
    # A teacher may not retract a student's message; the admin and its author may
    assert problem(_post(server, s.tokens["teacher"], f"{path}/{mine['id']}/retraction",
                         {"reason": "не то"}), 403)
    assert _post(server, s.tokens["student"], f"{path}/{mine['id']}/retraction",
                 {"reason": "ошибся"}).status_code == 201
    assert _post(server, s.tokens["admin"], f"{path}/{longest['id']}/retraction",
                 {"reason": "флуд"}).status_code == 201
    problem(_post(server, s.tokens["student"], f"{path}/{mine['id']}/retraction",
                  {"reason": "ещё раз"}), 409)
    items = _get(server, s.tokens["teacher"], path)["items"]
    assert [(i["id"], i["text"], i["retracted"]) for i in items] == [
        (longest["id"], "сообщение удалено", True), (mine["id"], "сообщение удалено", True)]


def test_direct_conversations_hold_only_people_who_may_see_each_other(server: Server) -> None:
    s = build_school(server, "cd")
    # The guardian may talk to their child's teacher and the administration
    made = created(_post(server, s.tokens["guardian"], "/api/v1/conversations",
                         {"member_ids": [s.teacher_id, s.admin_id]}))
    chat = made["id"]
    created(_post(server, s.tokens["teacher"], f"/api/v1/conversations/{chat}/messages",
                  {"text": "Здравствуйте!"}))
    assert _texts(server, s.tokens["guardian"], chat) == ["Здравствуйте!"]
    direct = [i for i in _get(server, s.tokens["admin"], "/api/v1/me/conversations")["items"]
              if i["kind"] == "direct"]
    assert [(d["id"], d["unread"]) for d in direct] == [(chat, 1)]
    # but not to another child, nor to the auditor (who teaches no child of theirs)
    before = log_length(server)
    problem(_post(server, s.tokens["guardian"], "/api/v1/conversations",
                  {"member_ids": [s.student_ids[1]]}), 404)
    problem(_post(server, s.tokens["guardian"], "/api/v1/conversations",
                  {"member_ids": [s.auditor_id]}), 404)
    # and a student not with another student
    problem(_post(server, s.tokens["student"], "/api/v1/conversations",
                  {"member_ids": [s.student_ids[1]]}), 404)
    assert log_length(server) == before
    # The auditor is not in it
    with server.client(s.tokens["auditor"]) as c:
        problem(c.get(f"/api/v1/conversations/{chat}/messages"), 404)


def _leave(server: Server, s: School, how: str) -> None:
    from uuid import UUID

    app = server.app()
    try:
        if how == "transfer":
            app.execute(EndEnrolment(UUID(s.admin_id), UUID(s.class_id),
                                     student_id=UUID(s.student_ids[0]),
                                     last_day=date(2026, 11, 24)))
        else:
            app.execute(UnlinkGuardian(UUID(s.admin_id), UUID(s.student_ids[0]),
                                       guardian_id=UUID(s.guardian_id)))
    finally:
        app.close()


def _membership_follows(server: Server, how: str) -> None:
    s = build_school(server, "cm" + how[:2])
    teacher = _conversations(server, s.tokens["teacher"])
    room, parents = teacher["class"]["id"], teacher["class_parents"]["id"]
    for conversation in (room, parents):
        created(_post(server, s.tokens["teacher"], f"/api/v1/conversations/{conversation}/"
                      "messages", {"text": "До"}))
    # When the student leaves the class (or the guardian is unlinked)
    _leave(server, s, how)
    for conversation in (room, parents):
        created(_post(server, s.tokens["teacher"], f"/api/v1/conversations/{conversation}/"
                      "messages", {"text": "После"}))
    # Then the guardian keeps what reached them and gets nothing new, nor may write
    assert _texts(server, s.tokens["guardian"], parents) == ["До"]
    assert problem(_post(server, s.tokens["guardian"],
                         f"/api/v1/conversations/{parents}/messages", {"text": "?"}), 404)
    if how == "transfer":
        assert _texts(server, s.tokens["student"], room) == ["До"]
        assert problem(_post(server, s.tokens["student"],
                             f"/api/v1/conversations/{room}/messages", {"text": "?"}), 404)
    else:
        assert _texts(server, s.tokens["student"], room) == ["До", "После"]
    # while the one who stays reads both
    assert _texts(server, s.tokens["teacher"], parents) == ["До", "После"]


def test_a_transfer_ends_the_students_and_guardians_membership(server: Server) -> None:
    _membership_follows(server, "transfer")


def test_an_unlinked_guardian_gets_no_new_messages(server: Server) -> None:
    _membership_follows(server, "unlink")


def test_announcements_reach_their_audience_and_staff_see_who_read(server: Server) -> None:
    s = build_school(server, "ca")
    path = f"/api/v1/schools/{s.id}/announcements"
    body = {"title": "Родительское собрание", "text": "В пятницу в 18:00, каб. 12",
            "audience": "class", "class_id": s.class_id}
    # Only the admin, or the class teacher for their class
    assert problem(_post(server, s.tokens["guardian"], path, body), 403)
    assert problem(_post(server, s.tokens["teacher"], path, {**body, "audience": "school",
                                                             "class_id": None}), 403)
    made = created(_post(server, s.tokens["teacher"], path, body))
    # The class's guardian has it, and reads it
    (seen,) = _get(server, s.tokens["guardian"], "/api/v1/me/announcements")["items"]
    assert (seen["id"], seen["title"], seen["by_name"], seen["read_at"]) == (
        made["id"], "Родительское собрание", "Мария Ивановна", None)
    with server.client(s.tokens["guardian"]) as c:
        assert c.post(f"/api/v1/announcements/{made['id']}/read").status_code == 204
    readers = _get(server, s.tokens["teacher"],
                   f"/api/v1/announcements/{made['id']}/readers")["items"]
    read = {r["full_name"]: r["read_at"] is not None for r in readers}
    assert read == {"Родитель": True, "Ученик 0": False, "Ученик 1": False,
                    "Мария Ивановна": False}
    # The auditor was not in the audience
    assert _get(server, s.tokens["auditor"], "/api/v1/me/announcements")["items"] == []
