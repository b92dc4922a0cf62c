"""The commands of communication (R-5.2f, R-3.4e) and what they answer: conversations and
messages, announcements, and each user's choices of how they are told."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ejournal.application import results as r
from ejournal.application.commands import Command


class ConversationStarted(r.Created):
    pass


class MessagePosted(r.Created):
    pass


class MessageRetracted(r.Result):
    pass


class AnnouncementMade(r.Created):
    pass


class SettingsChanged(r.Result):
    pass


@dataclass(frozen=True)
class StartConversation(Command[ConversationStarted]):
    """A direct conversation; who may be in it (R-5.3a) is checked by the caller against the
    relations of the school."""

    actor_id: UUID
    member_ids: tuple[UUID, ...]
    title: str | None = None


@dataclass(frozen=True)
class PostMessage(Command[MessagePosted]):
    """``kind`` and ``owner_id`` (the class or school of a group conversation) start the
    conversation's aggregate with its first message."""

    actor_id: UUID
    conversation_id: UUID
    school_id: UUID
    kind: str
    class_id: UUID | None
    text: str


@dataclass(frozen=True)
class RetractMessage(Command[MessageRetracted]):
    actor_id: UUID
    conversation_id: UUID
    message_id: UUID
    reason: str


@dataclass(frozen=True)
class MakeAnnouncement(Command[AnnouncementMade]):
    actor_id: UUID
    school_id: UUID
    audience: str
    class_id: UUID | None
    title: str
    text: str


@dataclass(frozen=True)
class SetContact(Command[SettingsChanged]):
    actor_id: UUID
    email: str


@dataclass(frozen=True)
class ChooseNotifications(Command[SettingsChanged]):
    actor_id: UUID
    email: str  # instant, daily or off


@dataclass(frozen=True)
class MuteConversation(Command[SettingsChanged]):
    actor_id: UUID
    conversation_id: UUID
    muted: bool
