"""The conversations read model's tables, and who belongs to a conversation on a day.

Membership follows the school as it changes (R-5.2f): a class's conversation holds the
students enrolled on that day, its class teacher and its journals' teachers; its parents'
conversation the guardians (linked now) of those students and the class teacher; a school's
staff conversation its teachers and administration; a direct one the people it named.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    String,
    Table,
    Text,
    Uuid,
    or_,
    select,
    union,
)

from ejournal.projections.base import as_utc, metadata

STAFF_ROLES = ("teacher", "admin")

schools = Table("conv_schools", metadata,
                Column("school_id", Uuid, primary_key=True),
                Column("timezone", String(64), nullable=False))
people = Table("conv_people", metadata,
               Column("user_id", Uuid, primary_key=True),
               Column("school_id", Uuid, nullable=True),
               Column("role", String(16), nullable=False),
               Column("full_name", Text, nullable=False))
classes = Table("conv_classes", metadata,
                Column("class_id", Uuid, primary_key=True),
                Column("school_id", Uuid, nullable=False),
                Column("name", Text, nullable=False),
                Column("class_teacher_id", Uuid, nullable=True))
enrolments = Table("conv_enrolments", metadata,
                   Column("class_id", Uuid, primary_key=True),
                   Column("student_id", Uuid, primary_key=True),
                   Column("from_date", Date, primary_key=True),
                   Column("last_day", Date, nullable=True))
journals = Table("conv_journals", metadata,
                 Column("journal_id", Uuid, primary_key=True),
                 Column("class_id", Uuid, nullable=False),
                 Column("subject_id", Uuid, nullable=False),
                 Column("teacher_id", Uuid, nullable=False))
guardians = Table("conv_guardians", metadata,
                  Column("student_id", Uuid, primary_key=True),
                  Column("guardian_id", Uuid, primary_key=True))
conversations = Table("conv_conversations", metadata,
                      Column("conversation_id", Uuid, primary_key=True),
                      Column("school_id", Uuid, nullable=False),
                      Column("kind", String(16), nullable=False),
                      Column("class_id", Uuid, nullable=True),
                      Column("title", Text, nullable=True))
direct_members = Table("conv_direct", metadata,
                       Column("conversation_id", Uuid, primary_key=True),
                       Column("user_id", Uuid, primary_key=True))
messages = Table("conv_messages", metadata,
                 Column("position", BigInteger, primary_key=True),
                 Column("conversation_id", Uuid, nullable=False),
                 Column("message_id", Uuid, nullable=False),
                 Column("author_id", Uuid, nullable=False),
                 Column("text", Text, nullable=False),
                 Column("sent_at", DateTime(timezone=True), nullable=False),
                 Column("retracted", Boolean, nullable=False),
                 Column("reason", Text, nullable=True),
                 Index("ix_conv_messages_message", "message_id"))
#: Each message, for each member it reached: what that member may read ever after.
inbox = Table("conv_inbox", metadata,
              Column("user_id", Uuid, primary_key=True),
              Column("conversation_id", Uuid, primary_key=True),
              Column("position", BigInteger, primary_key=True))
announcements = Table("conv_announcements", metadata,
                      Column("announcement_id", Uuid, primary_key=True),
                      Column("position", BigInteger, nullable=False),
                      Column("school_id", Uuid, nullable=False),
                      Column("audience", String(16), nullable=False),
                      Column("class_id", Uuid, nullable=True),
                      Column("title", Text, nullable=False),
                      Column("text", Text, nullable=False),
                      Column("by", Uuid, nullable=False),
                      Column("made_at", DateTime(timezone=True), nullable=False))
announcement_inbox = Table("conv_announcement_inbox", metadata,
                           Column("user_id", Uuid, primary_key=True),
                           Column("position", BigInteger, primary_key=True),
                           Column("announcement_id", Uuid, nullable=False))
muted = Table("conv_muted", metadata,
              Column("user_id", Uuid, primary_key=True),
              Column("conversation_id", Uuid, primary_key=True))
#: Written by the readers (never by the projector): how far each member has read.
reads = Table("conv_reads", metadata,
              Column("user_id", Uuid, primary_key=True),
              Column("conversation_id", Uuid, primary_key=True),
              Column("position", BigInteger, nullable=False))
announcement_reads = Table("conv_announcement_reads", metadata,
                           Column("announcement_id", Uuid, primary_key=True),
                           Column("user_id", Uuid, primary_key=True),
                           Column("read_at", DateTime(timezone=True), nullable=False))

TABLES = (schools, people, classes, enrolments, journals, guardians, conversations,
          direct_members, messages, inbox, announcements, announcement_inbox, muted)


class Executes(Protocol):
    def execute(self, statement: Any, parameters: Any = None) -> Any: ...


def local_day(conn: Executes, school_id: UUID, moment: datetime) -> date:
    """The school-local date of a moment."""
    zone = conn.execute(select(schools.c.timezone).where(
        schools.c.school_id == school_id)).scalar()
    return as_utc(moment).astimezone(ZoneInfo(zone or "UTC")).date()


def _enrolled(class_id: Any, day: date) -> Any:
    return (select(enrolments.c.student_id)
            .where(enrolments.c.class_id == class_id, enrolments.c.from_date <= day,
                   or_(enrolments.c.last_day.is_(None), enrolments.c.last_day >= day)))


def _teachers(class_id: Any) -> list[Any]:
    """Its class teacher and its journals' teachers (selects to join in one UNION: SQLite
    takes no nested compound select)."""
    return [select(classes.c.class_teacher_id.label("user_id")).where(
                classes.c.class_id == class_id, classes.c.class_teacher_id.is_not(None)),
            select(journals.c.teacher_id.label("user_id")).where(
                journals.c.class_id == class_id)]


def members_on(conn: Executes, conversation_id: UUID, day: date) -> set[UUID]:
    """Who belongs to the conversation on that (school-local) day; empty if it is unknown."""
    found = conn.execute(select(conversations).where(
        conversations.c.conversation_id == conversation_id)).first()
    if found is None:
        return set()
    kind, class_id = found.kind, found.class_id
    if kind == "direct":
        query: Any = select(direct_members.c.user_id).where(
            direct_members.c.conversation_id == conversation_id)
    elif kind == "staff":
        query = select(people.c.user_id).where(people.c.school_id == found.school_id,
                                               people.c.role.in_(STAFF_ROLES))
    elif kind == "class":
        query = union(_enrolled(class_id, day), *_teachers(class_id))
    else:  # class_parents
        parents = select(guardians.c.guardian_id).where(
            guardians.c.student_id.in_(_enrolled(class_id, day)))
        teacher = select(classes.c.class_teacher_id).where(
            classes.c.class_id == class_id, classes.c.class_teacher_id.is_not(None))
        query = union(parents, teacher)
    return {UUID(str(row[0])) for row in conn.execute(query)}


def audience_on(conn: Executes, school_id: UUID, audience: str, class_id: UUID | None,
                day: date) -> set[UUID]:
    """Who an announcement reaches on that day (R-5.2f)."""
    if audience == "school":
        query: Any = select(people.c.user_id).where(people.c.school_id == school_id)
    elif audience == "staff":
        query = select(people.c.user_id).where(people.c.school_id == school_id,
                                               people.c.role.in_(STAFF_ROLES))
    elif audience == "parents":
        query = select(people.c.user_id).where(people.c.school_id == school_id,
                                               people.c.role == "guardian")
    else:
        students = _enrolled(class_id, day)
        query = union(students, *_teachers(class_id),
                      select(guardians.c.guardian_id).where(guardians.c.student_id.in_(
                          _enrolled(class_id, day))))
    return {UUID(str(row[0])) for row in conn.execute(query)}
