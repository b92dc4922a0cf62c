"""What the conversations read model answers: a user's conversations with unread counts,
the messages that reached them, read cursors, who may talk to whom (R-5.3a), and
announcements with who read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ejournal.domain.conversation import group_conversation_id
from ejournal.projections.base import as_utc
from ejournal.projections.conversation_tables import (
    STAFF_ROLES,
    announcement_inbox,
    announcement_reads,
    announcements,
    classes,
    conversations,
    direct_members,
    enrolments,
    guardians,
    inbox,
    journals,
    local_day,
    members_on,
    messages,
    muted,
    people,
    reads,
)

RETRACTED_TEXT = "сообщение удалено"


@dataclass(frozen=True)
class ConversationRow:
    id: UUID
    school_id: UUID
    kind: str
    class_id: UUID | None
    title: str
    unread: int
    muted: bool = False


@dataclass(frozen=True)
class MessageRow:
    position: int
    id: UUID
    author_id: UUID
    author_name: str
    text: str
    sent_at: datetime
    retracted: bool


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _current_classes(conn: Connection, student_ids: list[UUID], day: date) -> set[UUID]:
    if not student_ids:
        return set()
    return {_uuid(r[0]) for r in conn.execute(select(enrolments.c.class_id).where(
        enrolments.c.student_id.in_(student_ids), enrolments.c.from_date <= day,
        or_(enrolments.c.last_day.is_(None), enrolments.c.last_day >= day)))}


def taught_classes(conn: Connection, teacher_id: UUID) -> tuple[set[UUID], set[UUID]]:
    """The classes the teacher is class teacher of, and those whose journals they teach."""
    led = {_uuid(r[0]) for r in conn.execute(select(classes.c.class_id).where(
        classes.c.class_teacher_id == teacher_id))}
    taught = {_uuid(r[0]) for r in conn.execute(select(journals.c.class_id).where(
        journals.c.teacher_id == teacher_id))}
    return led, taught


def children(conn: Connection, guardian_id: UUID) -> list[UUID]:
    return [_uuid(r[0]) for r in conn.execute(select(guardians.c.student_id).where(
        guardians.c.guardian_id == guardian_id))]


def current_conversations(conn: Connection, user_id: UUID, role: str, school_id: UUID,
                          day: date) -> set[UUID]:
    """The conversations the user belongs to on that day (``members_on``, from their side)."""
    found: set[UUID] = set()
    if role in STAFF_ROLES:
        found.add(group_conversation_id("staff", school_id))
    if role == "student":
        found |= {group_conversation_id("class", c)
                  for c in _current_classes(conn, [user_id], day)}
    if role == "guardian":
        found |= {group_conversation_id("class_parents", c)
                  for c in _current_classes(conn, children(conn, user_id), day)}
    if role == "teacher":
        led, taught = taught_classes(conn, user_id)
        found |= {group_conversation_id("class", c) for c in led | taught}
        found |= {group_conversation_id("class_parents", c) for c in led}
    found |= {_uuid(r[0]) for r in conn.execute(select(direct_members.c.conversation_id)
                                                .where(direct_members.c.user_id == user_id))}
    return found


def _reached(conn: Connection, user_id: UUID) -> set[UUID]:
    return {_uuid(r[0]) for r in conn.execute(select(inbox.c.conversation_id).distinct()
                                              .where(inbox.c.user_id == user_id))}


def my_conversations(conn: Connection, user_id: UUID, role: str, school_id: UUID,
                     day: date) -> list[ConversationRow]:
    """Those the user belongs to now, and those whose messages reached them before."""
    ids = current_conversations(conn, user_id, role, school_id, day) | _reached(conn, user_id)
    if not ids:
        return []
    seen = select(reads.c.position).where(
        reads.c.user_id == user_id,
        reads.c.conversation_id == conversations.c.conversation_id).scalar_subquery()
    unread = select(func.count()).select_from(inbox).join(
        messages, messages.c.position == inbox.c.position).where(
        inbox.c.user_id == user_id, inbox.c.conversation_id == conversations.c.conversation_id,
        inbox.c.position > func.coalesce(seen, 0),
        messages.c.author_id != user_id).scalar_subquery()  # one's own are read
    quiet = select(func.count()).select_from(muted).where(
        muted.c.user_id == user_id,
        muted.c.conversation_id == conversations.c.conversation_id).scalar_subquery()
    rows = conn.execute(select(conversations, unread.label("unread"), quiet.label("quiet"))
                        .where(conversations.c.conversation_id.in_(sorted(ids)))).all()
    titles = _direct_titles(conn, user_id, [r.conversation_id for r in rows
                                            if r.kind == "direct" and not r.title])
    answer = [ConversationRow(_uuid(r.conversation_id), _uuid(r.school_id), r.kind,
                              None if r.class_id is None else _uuid(r.class_id),
                              r.title or titles.get(_uuid(r.conversation_id), ""),
                              int(r.unread or 0), bool(r.quiet))
              for r in rows]
    order = {"staff": 0, "class": 1, "class_parents": 2, "direct": 3}
    return sorted(answer, key=lambda c: (order[c.kind], c.title, str(c.id)))


def _direct_titles(conn: Connection, user_id: UUID, ids: list[Any]) -> dict[UUID, str]:
    """An untitled direct conversation is called by its other members' names."""
    if not ids:
        return {}
    rows = conn.execute(select(direct_members.c.conversation_id, people.c.full_name)
                        .join(people, people.c.user_id == direct_members.c.user_id)
                        .where(direct_members.c.conversation_id.in_(ids),
                               direct_members.c.user_id != user_id)
                        .order_by(people.c.full_name)).all()
    titles: dict[UUID, list[str]] = {}
    for row in rows:
        titles.setdefault(_uuid(row.conversation_id), []).append(row.full_name)
    return {k: ", ".join(v) for k, v in titles.items()}


def unread_total(conn: Connection, user_id: UUID, role: str, school_id: UUID,
                 now: datetime) -> int:
    """How many messages that reached the user they have not read, in every conversation."""
    day = local_day(conn, school_id, now)
    return sum(c.unread for c in my_conversations(conn, user_id, role, school_id, day))


def conversation_of(conn: Connection, conversation_id: UUID) -> Any:
    return conn.execute(select(conversations).where(
        conversations.c.conversation_id == conversation_id)).first()


def is_member(conn: Connection, conversation_id: UUID, user_id: UUID, day: date) -> bool:
    return user_id in members_on(conn, conversation_id, day)


def has_read_before(conn: Connection, conversation_id: UUID, user_id: UUID) -> bool:
    return conn.execute(select(inbox.c.position).where(
        inbox.c.user_id == user_id, inbox.c.conversation_id == conversation_id).limit(1)
    ).first() is not None


def read_messages(conn: Connection, user_id: UUID, conversation_id: UUID, *,
                  after: int = 0, limit: int = 1000) -> list[MessageRow]:
    """The messages that reached the user, oldest first; a retracted one without its text."""
    rows = conn.execute(
        select(messages, people.c.full_name)
        .join(inbox, and_(inbox.c.position == messages.c.position,
                          inbox.c.user_id == user_id,
                          inbox.c.conversation_id == conversation_id))
        .outerjoin(people, people.c.user_id == messages.c.author_id)
        .where(messages.c.position > after)
        .order_by(messages.c.position).limit(limit)).all()
    return [MessageRow(int(r.position), _uuid(r.message_id), _uuid(r.author_id),
                       r.full_name or "", RETRACTED_TEXT if r.retracted else r.text,
                       as_utc(r.sent_at), bool(r.retracted)) for r in rows]


def message_position(conn: Connection, user_id: UUID, conversation_id: UUID,
                     message_id: UUID) -> int | None:
    """The message's position, if it reached the user in that conversation."""
    found = conn.execute(select(messages.c.position).join(
        inbox, and_(inbox.c.position == messages.c.position, inbox.c.user_id == user_id))
        .where(messages.c.message_id == message_id,
               messages.c.conversation_id == conversation_id)).scalar()
    return None if found is None else int(found)


def _upsert(conn: Connection, table: Any, keys: dict[str, Any], values: dict[str, Any],
            only_forward: bool) -> None:
    dialect = conn.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**keys, **values)
    where = table.c.position < values["position"] if only_forward else None
    conn.execute(statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys], set_=values, where=where))


def mark_read(conn: Connection, user_id: UUID, conversation_id: UUID, position: int) -> None:
    """Moves the member's cursor to ``position``, never back. The caller commits."""
    _upsert(conn, reads, {"user_id": user_id, "conversation_id": conversation_id},
            {"position": position}, only_forward=True)


# --- who may talk to whom (R-5.3a) ------------------------------------------------------


def person(conn: Connection, user_id: UUID) -> Any:
    return conn.execute(select(people).where(people.c.user_id == user_id)).first()


def _teaches(conn: Connection, teacher_id: UUID, students: list[UUID], day: date) -> bool:
    led, taught = taught_classes(conn, teacher_id)
    return bool((led | taught) & _current_classes(conn, students, day))


def may_talk(conn: Connection, a: Any, b: Any, day: date) -> bool:
    """Whether each of two people of one school may see the other's data: staff among
    themselves; a student or guardian with the administration and the teachers of the
    student's (child's) class; a guardian with their own child."""
    if a.school_id != b.school_id:
        return False
    roles = {a.role, b.role}
    staff = {"teacher", "admin", "auditor"}
    if roles <= staff:
        return True
    family = a if a.role in ("student", "guardian") else b
    other = b if family is a else a
    if other.role in ("student", "guardian"):
        pair = {a.role: a, b.role: b}
        if roles == {"student", "guardian"}:
            return _uuid(pair["student"].user_id) in children(conn, _uuid(
                pair["guardian"].user_id))
        return False
    if other.role == "admin":
        return True
    if other.role != "teacher":
        return False
    kids = ([_uuid(family.user_id)] if family.role == "student"
            else children(conn, _uuid(family.user_id)))
    return _teaches(conn, _uuid(other.user_id), kids, day)


# --- announcements ----------------------------------------------------------------------


def my_announcements(conn: Connection, user_id: UUID) -> list[Any]:
    read_at = select(announcement_reads.c.read_at).where(
        announcement_reads.c.user_id == user_id,
        announcement_reads.c.announcement_id == announcements.c.announcement_id
    ).scalar_subquery()
    return list(conn.execute(
        select(announcements, people.c.full_name.label("by_name"), read_at.label("read_at"))
        .join(announcement_inbox, and_(
            announcement_inbox.c.announcement_id == announcements.c.announcement_id,
            announcement_inbox.c.user_id == user_id))
        .outerjoin(people, people.c.user_id == announcements.c.by)
        .order_by(announcements.c.position)).all())


def announcement_of(conn: Connection, announcement_id: UUID) -> Any:
    return conn.execute(select(announcements).where(
        announcements.c.announcement_id == announcement_id)).first()


def reached_by(conn: Connection, announcement_id: UUID, user_id: UUID) -> bool:
    return conn.execute(select(announcement_inbox.c.user_id).where(
        announcement_inbox.c.announcement_id == announcement_id,
        announcement_inbox.c.user_id == user_id)).first() is not None


def mark_announcement_read(conn: Connection, announcement_id: UUID, user_id: UUID,
                           at: datetime) -> None:
    dialect = conn.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    conn.execute(module.insert(announcement_reads).values(
        announcement_id=announcement_id, user_id=user_id, read_at=at).on_conflict_do_nothing())


def readers(conn: Connection, announcement_id: UUID) -> list[Any]:
    """Everyone the announcement reached, with when they read it (None: not yet)."""
    read_at = select(announcement_reads.c.read_at).where(
        announcement_reads.c.announcement_id == announcement_id,
        announcement_reads.c.user_id == announcement_inbox.c.user_id).scalar_subquery()
    return list(conn.execute(
        select(announcement_inbox.c.user_id, people.c.full_name, people.c.role,
               read_at.label("read_at"))
        .join(people, people.c.user_id == announcement_inbox.c.user_id)
        .where(announcement_inbox.c.announcement_id == announcement_id)
        .order_by(people.c.full_name, announcement_inbox.c.user_id)).all())
