"""The conversations read model (R-5.2f, R-5.3a): every class's and school's conversations,
the people, enrolments, links and assignments that decide who belongs to them, and each
message written - from its event - to every member *at that point of the log* on the
message's school-local day. A member who leaves keeps what reached them; one who joins reads
from then on. Read cursors (``conv_reads``) and announcement reads are written by the readers.

A class's ``class`` and ``class_parents`` conversations, and a school's ``staff`` one, are here
from the class's or school's creation (classes and schools of any age: they come from the
log); their aggregate is started by the first message.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, select, update

from ejournal.domain.conversation import (
    Announcement,
    Conversation,
    NotificationSettings,
    group_conversation_id,
)
from ejournal.domain.journal import ClassJournal
from ejournal.domain.people import User
from ejournal.domain.school import School
from ejournal.domain.school_class import SchoolClass
from ejournal.projections.base import ReadModel, as_utc, handles
from ejournal.projections.batching import Batch
from ejournal.projections.conversation_tables import (
    TABLES,
    announcement_inbox,
    announcement_reads,
    announcements,
    audience_on,
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
    schools,
)
from ejournal.projections.notify import NOTIFY_TABLES, Notifies, deliveries

STAFF_TITLE = "Учительская"
PARENTS_TITLE = "{name} — родители"


def _person_name(batch: Batch, user_id: UUID) -> str:
    return str(batch.execute(select(people.c.full_name).where(
        people.c.user_id == user_id)).scalar() or "")


class Conversations(Notifies, ReadModel):
    """Also keeps the notifications' outbox (``notify.py``): who a message or an
    announcement reached is this model's to say."""

    name = "conversations"
    tables = (*TABLES, *NOTIFY_TABLES)
    kept_tables = (reads, announcement_reads, deliveries)

    @handles(School.Registered)
    def school(self, batch: Batch, e: School.Registered, _: int) -> None:
        batch.insert(schools, {"school_id": e.originator_id, "timezone": e.timezone})
        batch.insert(conversations, {
            "conversation_id": group_conversation_id("staff", e.originator_id),
            "school_id": e.originator_id, "kind": "staff", "class_id": None,
            "title": STAFF_TITLE})

    @handles(User.Registered)
    def person(self, batch: Batch, e: User.Registered, _: int) -> None:
        batch.insert(people, {"user_id": e.originator_id, "school_id": e.school_id,
                              "role": e.role.value, "full_name": e.full_name})

    @handles(SchoolClass.Opened)
    def school_class(self, batch: Batch, e: SchoolClass.Opened, _: int) -> None:
        batch.insert(classes, {"class_id": e.originator_id, "school_id": e.school_id,
                               "name": e.name, "class_teacher_id": e.class_teacher_id})
        for kind, title in (("class", e.name), ("class_parents",
                                                 PARENTS_TITLE.format(name=e.name))):
            batch.insert(conversations, {
                "conversation_id": group_conversation_id(kind, e.originator_id),
                "school_id": e.school_id, "kind": kind, "class_id": e.originator_id,
                "title": title})

    @handles(SchoolClass.ClassTeacherAppointed)
    def class_teacher(self, batch: Batch, e: SchoolClass.ClassTeacherAppointed, _: int
                      ) -> None:
        batch.execute(update(classes).where(classes.c.class_id == e.originator_id)
                      .values(class_teacher_id=e.teacher_id))

    @handles(SchoolClass.StudentEnrolled)
    def enrolled(self, batch: Batch, e: SchoolClass.StudentEnrolled, _: int) -> None:
        batch.insert(enrolments, {"class_id": e.originator_id, "student_id": e.student_id,
                                  "from_date": e.from_date, "last_day": None})

    @handles(SchoolClass.EnrolmentEnded)
    def left(self, batch: Batch, e: SchoolClass.EnrolmentEnded, _: int) -> None:
        batch.execute(update(enrolments).where(
            enrolments.c.class_id == e.originator_id, enrolments.c.student_id == e.student_id,
            enrolments.c.last_day.is_(None)).values(last_day=e.last_day))

    @handles(ClassJournal.Opened)
    def journal(self, batch: Batch, e: ClassJournal.Opened, _: int) -> None:
        batch.insert(journals, {"journal_id": e.originator_id, "class_id": e.class_id,
                                "subject_id": e.subject_id, "teacher_id": e.teacher_id})

    @handles(ClassJournal.TeacherAssigned)
    def reassigned(self, batch: Batch, e: ClassJournal.TeacherAssigned, _: int) -> None:
        batch.execute(update(journals).where(journals.c.journal_id == e.originator_id)
                      .values(teacher_id=e.teacher_id))

    @handles(User.GuardianLinked)
    def linked(self, batch: Batch, e: User.GuardianLinked, _: int) -> None:
        batch.insert(guardians, {"student_id": e.originator_id, "guardian_id": e.guardian_id})
        batch.remembered.pop(("family", e.originator_id), None)

    @handles(User.GuardianUnlinked)
    def unlinked(self, batch: Batch, e: User.GuardianUnlinked, _: int) -> None:
        batch.execute(delete(guardians).where(guardians.c.student_id == e.originator_id,
                                              guardians.c.guardian_id == e.guardian_id))
        batch.remembered.pop(("family", e.originator_id), None)

    @handles(Conversation.Started)
    def started(self, batch: Batch, e: Conversation.Started, _: int) -> None:
        if e.kind != "direct":
            return  # a group conversation is known from its class or school
        batch.insert(conversations, {"conversation_id": e.originator_id,
                                     "school_id": e.school_id, "kind": "direct",
                                     "class_id": None, "title": e.title})
        batch.insert_many(direct_members, ({"conversation_id": e.originator_id,
                                            "user_id": member} for member in e.member_ids))

    @handles(Conversation.MessagePosted)
    def posted(self, batch: Batch, e: Conversation.MessagePosted, position: int) -> None:
        found = batch.execute(select(conversations.c.school_id, conversations.c.title).where(
            conversations.c.conversation_id == e.originator_id)).first()
        school_id = None if found is None else found.school_id
        batch.insert(messages, {"position": position, "conversation_id": e.originator_id,
                                "message_id": e.message_id, "author_id": e.by,
                                "text": e.text, "sent_at": as_utc(e.timestamp),
                                "retracted": False, "reason": None})
        if school_id is None:
            return
        day = local_day(batch, school_id, e.timestamp)
        reached = members_on(batch, e.originator_id, day) | {e.by}
        batch.insert_many(inbox, ({"user_id": user, "conversation_id": e.originator_id,
                                   "position": position} for user in sorted(reached)))
        quiet = {UUID(str(u)) for u in batch.execute(select(muted.c.user_id).where(
            muted.c.conversation_id == e.originator_id)).scalars()}
        author = _person_name(batch, e.by)
        title = found.title if found is not None and found.title else "личная переписка"
        self.notify(batch, position, "message", sorted(reached - quiet - {e.by}), school_id,
                    e.timestamp, f"Новое сообщение: {title}",
                    f"{author} пишет в «{title}»:\n\n{e.text}\n")

    @handles(Conversation.MessageRetracted)
    def retracted(self, batch: Batch, e: Conversation.MessageRetracted, _: int) -> None:
        batch.execute(update(messages).where(messages.c.message_id == e.message_id)
                      .values(retracted=True, reason=e.reason))

    @handles(Announcement.Made)
    def announced(self, batch: Batch, e: Announcement.Made, position: int) -> None:
        batch.insert(announcements, {
            "announcement_id": e.originator_id, "position": position, "school_id": e.school_id,
            "audience": e.audience, "class_id": e.class_id, "title": e.title, "text": e.text,
            "by": e.by, "made_at": as_utc(e.timestamp)})
        day = local_day(batch, e.school_id, e.timestamp)
        reached = audience_on(batch, e.school_id, e.audience, e.class_id, day) | {e.by}
        batch.insert_many(announcement_inbox, (
            {"user_id": user, "position": position, "announcement_id": e.originator_id}
            for user in sorted(reached)))
        self.notify(batch, position, "announcement", sorted(reached - {e.by}), e.school_id,
                    e.timestamp, f"Объявление: {e.title}",
                    f"{e.title}\n\n{e.text}\n\n{_person_name(batch, e.by)}\n")

    @handles(NotificationSettings.ConversationMuted)
    def mute(self, batch: Batch, e: NotificationSettings.ConversationMuted, _: int) -> None:
        user = batch.execute(select(people.c.user_id).where(
            people.c.user_id == e.by)).scalar()
        if user is not None:
            batch.insert(muted, {"user_id": e.by, "conversation_id": e.conversation_id})

    @handles(NotificationSettings.ConversationUnmuted)
    def unmute(self, batch: Batch, e: NotificationSettings.ConversationUnmuted, _: int
               ) -> None:
        batch.execute(delete(muted).where(muted.c.user_id == e.by,
                                          muted.c.conversation_id == e.conversation_id))
