"""Handlers of communication (R-5.2f): conversations, messages, announcements and each
user's notification settings. Who belongs to a conversation is the read model's to say (it
follows enrolments, links and assignments over time); the API checks it before it asks."""

from __future__ import annotations

from uuid import UUID, uuid4

from ejournal.application import messages as m
from ejournal.application.handlers.admin import in_school, school_of
from ejournal.application.unit import Handler, UnitOfWork
from ejournal.domain.conversation import Announcement, Conversation, NotificationSettings
from ejournal.domain.conversation import settings_id as settings_of
from ejournal.domain.errors import NotFound, NotPermitted
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role


def _school_user(uow: UnitOfWork, actor_id: UUID) -> UUID:
    actor = uow.actor(actor_id)
    if actor.school_id is None:
        raise NotPermitted("conversations are among the people of a school")
    return actor.school_id


def start_conversation(command: m.StartConversation, uow: UnitOfWork
                       ) -> m.ConversationStarted:
    school_id = _school_user(uow, command.actor_id)
    for member_id in command.member_ids:
        in_school(uow, school_id, member_id, "member_ids")
    conversation = Conversation.start(
        conversation_id=uuid4(), school_id=school_id, kind="direct", class_id=None,
        title=command.title, member_ids=list(command.member_ids), by=command.actor_id,
        at=uow.now)
    uow.add(conversation)
    return m.ConversationStarted(conversation.id)


def post_message(command: m.PostMessage, uow: UnitOfWork) -> m.MessagePosted:
    school_id = _school_user(uow, command.actor_id)
    if school_id != command.school_id:
        raise NotFound(f"no conversation {command.conversation_id}", field="conversation_id")
    if uow.exists(command.conversation_id):
        conversation = uow.load(Conversation, command.conversation_id, "conversation")
    elif command.kind != "direct":
        conversation = Conversation.start(
            conversation_id=command.conversation_id, school_id=school_id, kind=command.kind,
            class_id=command.class_id, title=None, member_ids=[], by=command.actor_id,
            at=uow.now)
    else:
        raise NotFound(f"no conversation {command.conversation_id}", field="conversation_id")
    message_id = uuid4()
    conversation.post(message_id=message_id, text=command.text, by=command.actor_id,
                      at=uow.now)
    uow.add(conversation)
    return m.MessagePosted(message_id)


def retract_message(command: m.RetractMessage, uow: UnitOfWork) -> m.MessageRetracted:
    actor = uow.actor(command.actor_id)
    conversation = uow.load(Conversation, command.conversation_id, "conversation",
                            "conversation_id")
    if actor.school_id != conversation.school_id:
        raise NotFound(f"no conversation {command.conversation_id}", field="conversation_id")
    conversation.retract(message_id=command.message_id, reason=command.reason,
                         by=command.actor_id, by_admin=actor.is_admin_of(conversation.school_id),
                         at=uow.now)
    uow.add(conversation)
    return m.MessageRetracted()


def make_announcement(command: m.MakeAnnouncement, uow: UnitOfWork) -> m.AnnouncementMade:
    """The admin to any audience; a class teacher to their own class (R-5.2f)."""
    actor = uow.actor(command.actor_id)
    if actor.school_id != command.school_id:
        raise NotFound(f"no school {command.school_id}", field="school_id")
    school_of(uow, command.school_id)
    if command.class_id is not None:
        school_class = uow.load(SchoolClass, command.class_id, "class", "class_id")
        if school_class.school_id != command.school_id:
            raise NotFound(f"no class {command.class_id}", field="class_id")
        class_teacher = school_class.class_teacher_id == actor.user_id
    else:
        class_teacher = False
    own_class = actor.role is Role.TEACHER and class_teacher and command.audience == "class"
    if not actor.is_admin_of(command.school_id) and not own_class:
        raise NotPermitted("announcements are made by the administration, or by a class "
                           "teacher to their class")
    announcement = Announcement.make(
        announcement_id=uuid4(), school_id=command.school_id, audience=command.audience,
        class_id=command.class_id, title=command.title, text_=command.text,
        by=command.actor_id, at=uow.now)
    uow.add(announcement)
    return m.AnnouncementMade(announcement.id)


def _settings(uow: UnitOfWork, user_id: UUID) -> NotificationSettings:
    uow.actor(user_id)
    found = settings_of(user_id)
    if uow.exists(found):
        return uow.load(NotificationSettings, found, "notification settings")
    return NotificationSettings.open(user_id=user_id, at=uow.now)


def set_contact(command: m.SetContact, uow: UnitOfWork) -> m.SettingsChanged:
    settings = _settings(uow, command.actor_id)
    settings.set_contact(command.email, at=uow.now)
    uow.add(settings)
    return m.SettingsChanged()


def choose_notifications(command: m.ChooseNotifications, uow: UnitOfWork
                         ) -> m.SettingsChanged:
    settings = _settings(uow, command.actor_id)
    settings.choose(command.email, at=uow.now)
    uow.add(settings)
    return m.SettingsChanged()


def mute_conversation(command: m.MuteConversation, uow: UnitOfWork) -> m.SettingsChanged:
    settings = _settings(uow, command.actor_id)
    settings.mute(command.conversation_id, command.muted, at=uow.now)
    uow.add(settings)
    return m.SettingsChanged()


HANDLERS: dict[type, Handler] = {
    m.StartConversation: start_conversation,
    m.PostMessage: post_message,
    m.RetractMessage: retract_message,
    m.MakeAnnouncement: make_announcement,
    m.SetContact: set_contact,
    m.ChooseNotifications: choose_notifications,
    m.MuteConversation: mute_conversation,
}
