"""Communication (R-5.2f, R-5.3a): conversations and their messages, announcements, and each
user's choices of how they are told (R-3.4e).

Messages are records of the school: a retraction hides the text from then on and keeps the
fact. Who belongs to a conversation is not part of the aggregate (it follows enrolments,
guardian links and teaching assignments as they change): the conversations read model derives
it from those events; a direct conversation names its members when it starts.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from ejournal.domain.base import JournalAggregate
from ejournal.domain.errors import ConflictWithJournal, InvalidEntry, NotFound, NotPermitted
from ejournal.domain.ids import NAMESPACE
from ejournal.domain.values import reason_text, text

MAX_MESSAGE = 4000
MAX_MEMBERS = 50
#: Kinds of conversation: a class's (students and teachers), a class's parents' (and its class
#: teacher), a school's staff room, and a direct one among named people.
KINDS = ("class", "class_parents", "staff", "direct")
AUDIENCES = ("school", "staff", "parents", "class")
EMAIL_CHOICES = ("instant", "daily", "off")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{1,63}$")


def group_conversation_id(kind: str, owner_id: UUID) -> UUID:
    """A class's (``owner_id`` the class) or a school's staff conversation (the school)."""
    return uuid5(NAMESPACE, f"conversation/{kind}/{owner_id}")


def settings_id(user_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"notification-settings/{user_id}")


def message_text(raw: Any, field: str = "text") -> str:
    """1-4,000 characters, not only spaces; no NUL or lone surrogate."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidEntry(f"{field} is required (1-4,000 characters)", field=field)
    return text(raw, field, limit=MAX_MESSAGE) or raw  # not blank: never None here


def valid_email(raw: Any) -> str:
    if not isinstance(raw, str) or not _EMAIL.fullmatch(raw.strip()):
        raise InvalidEntry("email is an address like name@example.ru", field="email")
    return raw.strip()


class Conversation(JournalAggregate):
    """A conversation and its messages (R-5.2f). Group conversations (``class``,
    ``class_parents``, ``staff``) exist from their class's or school's creation in the read
    model; the aggregate is started by their first message (id: :func:`group_conversation_id`).
    """

    class Started(JournalAggregate.Created):
        school_id: UUID
        kind: str
        class_id: UUID | None
        title: str | None
        member_ids: list[UUID]
        by: UUID

    class MessagePosted(JournalAggregate.Event):
        message_id: UUID
        text: str
        by: UUID

        def apply(self, aggregate: Conversation) -> None:
            aggregate.authors[self.message_id] = self.by

    class MessageRetracted(JournalAggregate.Event):
        """The text is hidden from then on; the message's fact stays (R-7.2)."""

        message_id: UUID
        reason: str
        by: UUID

        def apply(self, aggregate: Conversation) -> None:
            aggregate.retracted.add(self.message_id)

    def __init__(self, school_id: UUID, kind: str, class_id: UUID | None, title: str | None,
                 member_ids: list[UUID], by: UUID) -> None:
        self.school_id = school_id
        self.kind = kind
        self.class_id = class_id
        self.title = title
        self.member_ids = list(member_ids)
        self.authors: dict[UUID, UUID] = {}
        self.retracted: set[UUID] = set()

    @classmethod
    def start(cls, *, conversation_id: UUID, school_id: UUID, kind: str,
              class_id: UUID | None, title: Any, member_ids: list[UUID], by: UUID,
              at: datetime) -> Conversation:
        if kind not in KINDS:
            raise InvalidEntry(f"kind is one of {', '.join(KINDS)}", field="kind")
        members = list(dict.fromkeys(member_ids))
        if kind == "direct":
            if by not in members:
                members.insert(0, by)
            if len(members) < 2:
                raise InvalidEntry("a direct conversation has someone besides its author",
                                   field="member_ids")
            if len(members) > MAX_MEMBERS:
                raise InvalidEntry(f"at most {MAX_MEMBERS} members", field="member_ids")
        return cls._start(cls.Started, id=conversation_id, at=at, school_id=school_id,
                          kind=kind, class_id=class_id, title=text(title, "title"),
                          member_ids=members if kind == "direct" else [], by=by)

    def post(self, *, message_id: UUID, text: Any, by: UUID, at: datetime) -> None:
        self._record(self.MessagePosted, at=at, message_id=message_id,
                     text=message_text(text), by=by)

    def retract(self, *, message_id: UUID, reason: Any, by: UUID, by_admin: bool,
                at: datetime) -> None:
        author = self.authors.get(message_id)
        if author is None:
            raise NotFound(f"no message {message_id}", field="message_id")
        if author != by and not by_admin:
            raise NotPermitted("a message is retracted by its author or the administration")
        if message_id in self.retracted:
            raise ConflictWithJournal("the message is retracted already", field="message_id")
        self._record(self.MessageRetracted, at=at, message_id=message_id,
                     reason=reason_text(reason), by=by)


class Announcement(JournalAggregate):
    """An announcement to the school, its staff, its parents or one class (R-5.2f)."""

    class Made(JournalAggregate.Created):
        school_id: UUID
        audience: str
        class_id: UUID | None
        title: str
        text: str
        by: UUID

    def __init__(self, school_id: UUID, audience: str, class_id: UUID | None, title: str,
                 text: str, by: UUID) -> None:
        self.school_id = school_id
        self.audience = audience
        self.class_id = class_id
        self.title = title
        self.text = text

    @classmethod
    def make(cls, *, announcement_id: UUID, school_id: UUID, audience: Any,
             class_id: UUID | None, title: Any, text_: Any, by: UUID,
             at: datetime) -> Announcement:
        if audience not in AUDIENCES:
            raise InvalidEntry(f"audience is one of {', '.join(AUDIENCES)}", field="audience")
        if (audience == "class") != (class_id is not None):
            raise InvalidEntry("class_id names the class of a class's announcement (only)",
                               field="class_id")
        heading = text(title, "title", required=True)
        assert heading is not None  # noqa: S101 - required=True never returns None
        return cls._start(cls.Made, id=announcement_id, at=at, school_id=school_id,
                          audience=audience, class_id=class_id, title=heading.strip(),
                          text=message_text(text_), by=by)


class NotificationSettings(JournalAggregate):
    """How a user is told of what concerns them (R-3.4e): their e-mail address, instant mail,
    a daily digest or none, and the conversations they muted."""

    class Opened(JournalAggregate.Created):
        user_id: UUID

    class ContactSet(JournalAggregate.Event):
        email: str
        by: UUID

        def apply(self, aggregate: NotificationSettings) -> None:
            aggregate.email = self.email

    class EmailChoiceSet(JournalAggregate.Event):
        """``instant``, ``daily`` (one digest a day) or ``off``."""

        choice: str
        by: UUID

        def apply(self, aggregate: NotificationSettings) -> None:
            aggregate.choice = self.choice

    class ConversationMuted(JournalAggregate.Event):
        conversation_id: UUID
        by: UUID

        def apply(self, aggregate: NotificationSettings) -> None:
            aggregate.muted.add(self.conversation_id)

    class ConversationUnmuted(JournalAggregate.Event):
        conversation_id: UUID
        by: UUID

        def apply(self, aggregate: NotificationSettings) -> None:
            aggregate.muted.discard(self.conversation_id)

    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id
        self.email: str | None = None
        self.choice = "instant"
        self.muted: set[UUID] = set()

    @classmethod
    def open(cls, *, user_id: UUID, at: datetime) -> NotificationSettings:
        return cls._start(cls.Opened, id=settings_id(user_id), at=at, user_id=user_id)

    def set_contact(self, email: Any, *, at: datetime) -> None:
        address = valid_email(email)
        if address != self.email:
            self._record(self.ContactSet, at=at, email=address, by=self.user_id)

    def choose(self, choice: Any, *, at: datetime) -> None:
        if choice not in EMAIL_CHOICES:
            raise InvalidEntry(f"email is one of {', '.join(EMAIL_CHOICES)}", field="email")
        if choice != self.choice:
            self._record(self.EmailChoiceSet, at=at, choice=choice, by=self.user_id)

    def mute(self, conversation_id: UUID, muted: bool, *, at: datetime) -> None:
        if muted and conversation_id not in self.muted:
            self._record(self.ConversationMuted, at=at, conversation_id=conversation_id,
                         by=self.user_id)
        elif not muted and conversation_id in self.muted:
            self._record(self.ConversationUnmuted, at=at, conversation_id=conversation_id,
                         by=self.user_id)
