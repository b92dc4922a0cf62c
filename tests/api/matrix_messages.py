"""The role matrix's rows for communication (R-5.2f, R-5.3a; a section of their own, which
``test_role_matrix`` adds to its ``MATRIX``): 7А's ``class`` conversation holds the teacher (J1),
the class teacher and the students; its ``class_parents`` one the guardian and the class
teacher; everyone else - the admin and auditor included - gets 404, another school too."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ejournal.application import messages as m
from ejournal.domain.conversation import group_conversation_id
from tests.api.test_role_matrix import Cell, Req, Row, World, statuses

#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
SCHOOL_USER = statuses("401 403  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok")
IN_CLASS = "            401  403  404  404  ok   404  ok   ok   404  404  404  404"
IN_PARENTS = "          401  403  404  404  404  404  ok   404  ok   404  404  404"
RETRACT = statuses("    401  403  ok   404  403  404  ok   403  404  404  404  404", 201)
ANNOUNCE = statuses("   401  403  ok   403  403  403  ok   403  403  404  403  404", 201)
READ_ANNOUNCEMENT = statuses("401 403 ok 404 ok 404 ok ok ok 404 404 404", 204)
READERS = statuses("    401  403  ok   403  404  404  ok   403  403  404  403  404")
DIRECT_ADMIN = statuses("401 403  ok   ok   ok   ok   ok   ok   ok   404  404  404", 201)
DIRECT_S1 = statuses("  401  403  ok   404  ok   404  ok   404  404  404  404  404", 201)


def _conversation(world: World, target: str) -> UUID:
    return group_conversation_id("class" if target == "class" else "class_parents",
                                 world.class_a)


def _post(world: World, target: str, text: str = "Напоминаю про субботник") -> UUID:
    """A message of the class teacher's (a member of both) in the target conversation."""
    class_teacher = world.ids["class_teacher"]
    written = world.app.execute(m.PostMessage(
        class_teacher, _conversation(world, target), world.school,
        "class" if target == "class" else "class_parents", world.class_a, text))
    world.server.caught_up()
    return written.id


def _messages(world: World, principal: str, target: str) -> Req:
    _post(world, target, f"Сообщение {world.n()}")
    return Req(f"/api/v1/conversations/{_conversation(world, target)}/messages")


def _read_verify(cell: Cell) -> None:
    texts = [item["text"] for item in cell.body["items"]]
    assert texts
    assert texts[-1].startswith("Сообщение ")
    assert all(set(item) == {"id", "author_id", "author_name", "text", "sent_at",
                             "retracted"} for item in cell.body["items"])


def _write(world: World, principal: str, target: str) -> Req:
    _post(world, target)  # the aggregate started: a cell writes its message only
    return Req(f"/api/v1/conversations/{_conversation(world, target)}/messages",
               json={"text": f"Вопрос {world.n()}"})


def _write_verify(cell: Cell) -> None:
    (event,) = cell.written
    assert (str(event.message_id), event.text, event.by) == (
        cell.body["id"], cell.req.json["text"], cell.viewer)


def _retract(world: World, principal: str, target: str) -> Req:
    message = _post(world, target)
    return Req(f"/api/v1/conversations/{_conversation(world, target)}/messages/{message}/"
               "retraction", json={"reason": "по ошибке"}, note={"message": message})


def _retract_verify(cell: Cell) -> None:
    (event,) = cell.written
    assert (event.message_id, event.reason, event.by) == (
        cell.req.note["message"], "по ошибке", cell.viewer)


def _mark_read(world: World, principal: str, target: str) -> Req:
    message = _post(world, target)
    return Req(f"/api/v1/conversations/{_conversation(world, target)}/read",
               json={"up_to": str(message)})


def _mute(world: World, principal: str, target: str) -> Req:
    viewer = world.ids.get(principal)
    if viewer is not None:  # the settings exist: a cell records the mute alone
        world.app.execute(m.MuteConversation(viewer, _conversation(world, target), False))
    return Req(f"/api/v1/conversations/{_conversation(world, target)}/mute",
               json={"muted": True})


def _mute_verify(cell: Cell) -> None:
    assert cell.body == {"muted": True}
    (event,) = cell.written
    assert (event.conversation_id, event.by) == (_conversation(cell.world, "class"),
                                                 cell.viewer)


def _announce(world: World, principal: str, target: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/announcements",
               json={"title": "Субботник", "text": "В субботу в 10:00", "audience": "class",
                     "class_id": str(world.class_a)})


def _announce_verify(cell: Cell) -> None:
    (event,) = cell.written
    assert (str(event.originator_id), event.audience, event.class_id, event.by) == (
        cell.body["id"], "class", cell.world.class_a, cell.viewer)


def _announcement(world: World, by: str) -> UUID:
    made = world.app.execute(m.MakeAnnouncement(world.ids[by], world.school, "class",
                                                world.class_a, "Экскурсия",
                                                "Сбор у школы в 9:00"))
    world.server.caught_up()
    return made.id


def _read_announcement(world: World, principal: str, target: str) -> Req:
    return Req(f"/api/v1/announcements/{_announcement(world, 'admin')}/read")


def _readers(world: World, principal: str, target: str) -> Req:
    return Req(f"/api/v1/announcements/{_announcement(world, 'class_teacher')}/readers")


def _readers_verify(cell: Cell) -> None:
    names = {item["full_name"]: item["read_at"] for item in cell.body["items"]}
    assert names.keys() >= {"Ученик Ноль", "Ученик Один", "Родитель", "Анна Сергеевна"}
    assert set(names.values()) == {None}


def _start(world: World, principal: str, target: str) -> Req:
    member = world.s1 if target == "S1" else world.admin
    if principal == "admin" and target == "admin":
        member = world.ids["teacher"]
    return Req("/api/v1/conversations", json={"member_ids": [str(member)]},
               note={"member": member})


def _start_verify(cell: Cell) -> None:
    (event,) = cell.written
    assert (str(event.originator_id), event.kind, event.member_ids) == (
        cell.body["id"], "direct", [cell.viewer, cell.req.note["member"]])


def _listed(cell: Cell) -> None:
    items: list[dict[str, Any]] = cell.body["items"]
    kinds = {item["kind"] for item in items}
    expected = {"admin": {"staff"}, "teacher": {"staff", "class"},
                "class_teacher": {"staff", "class", "class_parents"}, "student": {"class"},
                "guardian": {"class_parents"}}.get(cell.principal)
    if expected is not None:
        assert expected <= kinds, (cell.principal, items)
    if cell.principal.startswith("x_") or cell.principal in ("auditor", "unassigned"):
        ids = {item["id"] for item in items}
        assert {str(_conversation(cell.world, t)) for t in ("class", "parents")}.isdisjoint(ids)


MESSAGE_ROWS: list[Row] = [
    Row("GET", "/api/v1/me/conversations", {"me": SCHOOL_USER},
        lambda w, p, t: Req("/api/v1/me/conversations"), verify=_listed),
    Row("POST", "/api/v1/conversations", {"admin": DIRECT_ADMIN, "S1": DIRECT_S1}, _start,
        ("Conversation.Started",), _start_verify),
    Row("GET", "/api/v1/conversations/{conversation_id}/messages",
        {"class": statuses(IN_CLASS), "parents": statuses(IN_PARENTS)}, _messages,
        verify=_read_verify),
    Row("POST", "/api/v1/conversations/{conversation_id}/messages",
        {"class": statuses(IN_CLASS, 201), "parents": statuses(IN_PARENTS, 201)}, _write,
        ("Conversation.MessagePosted",), _write_verify),
    Row("POST", "/api/v1/conversations/{conversation_id}/messages/{message_id}/retraction",
        {"class": RETRACT}, _retract, ("Conversation.MessageRetracted",), _retract_verify),
    Row("POST", "/api/v1/conversations/{conversation_id}/read",
        {"class": statuses(IN_CLASS, 204), "parents": statuses(IN_PARENTS, 204)},
        _mark_read),
    Row("POST", "/api/v1/conversations/{conversation_id}/mute",
        {"class": statuses(IN_CLASS)}, _mute, ("NotificationSettings.ConversationMuted",),
        _mute_verify),
    Row("POST", "/api/v1/schools/{school_id}/announcements", {"class": ANNOUNCE}, _announce,
        ("Announcement.Made",), _announce_verify),
    Row("GET", "/api/v1/me/announcements", {"me": SCHOOL_USER},
        lambda w, p, t: Req("/api/v1/me/announcements")),
    Row("POST", "/api/v1/announcements/{announcement_id}/read", {"class": READ_ANNOUNCEMENT},
        _read_announcement),
    Row("GET", "/api/v1/announcements/{announcement_id}/readers", {"class": READERS},
        _readers, verify=_readers_verify),
]


# --- how a user is told -------------------------------------------------------------------

SELF = statuses("       401  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok")


def _contact(world: World, principal: str, target: str) -> Req:
    viewer = world.ids.get(principal)
    if viewer is not None:  # the settings exist: a cell records the address alone
        world.app.execute(m.ChooseNotifications(viewer, "instant"))
    return Req("/api/v1/me/contact", json={"email": f"{principal}-{world.n()}@example.ru"})


def _contact_verify(cell: Cell) -> None:
    assert cell.body == cell.req.json
    (contact,) = cell.written
    assert (contact.email, contact.by) == (cell.req.json["email"], cell.viewer)


def _choice(world: World, principal: str, target: str) -> Req:
    viewer = world.ids.get(principal)
    if viewer is not None:  # the settings exist, and say "instant"
        world.app.execute(m.ChooseNotifications(viewer, "instant"))
    return Req("/api/v1/me/notifications", json={"email": "daily"})


def _choice_verify(cell: Cell) -> None:
    assert cell.body == {"email": "daily"}
    (event,) = cell.written
    assert (event.choice, event.by) == ("daily", cell.viewer)
    assert cell.viewer is not None
    cell.world.app.execute(m.ChooseNotifications(cell.viewer, "instant"))


def _told(cell: Cell) -> None:
    assert cell.body["next"] is None
    for item in cell.body["items"]:
        assert item["channel"] == "email"
        assert item["status"] in ("pending", "sent", "failed")


MESSAGE_ROWS += [
    Row("PUT", "/api/v1/me/contact", {"me": SELF}, _contact,
        ("NotificationSettings.ContactSet",), _contact_verify),
    Row("PUT", "/api/v1/me/notifications", {"me": SELF}, _choice,
        ("NotificationSettings.EmailChoiceSet",), _choice_verify),
    Row("GET", "/api/v1/me/notifications", {"me": SELF},
        lambda w, p, t: Req("/api/v1/me/notifications"), verify=_told),
]
