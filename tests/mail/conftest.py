"""A real SMTP server on loopback (aiosmtpd) that keeps every mail it accepted, and can be
taken down and brought back on the same port."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.servers import free_port, wait_until


@dataclass
class Inbox:
    """What the SMTP server accepted: each mail parsed, with its envelope's recipients."""

    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [mail for rcpts, mail in self.mails if address in rcpts]

    def count(self) -> int:
        with self.lock:
            return len(self.mails)

    def wait_for(self, n: int, timeout: float = 60) -> None:
        wait_until(lambda: self.count() >= n, timeout, f"{n} mails (have {self.count()})")


@dataclass
class Smtp:
    port: int
    inbox: Inbox
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def up(self) -> None:
        if self.controller is None:
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp(free_port(), Inbox())
    server.up()
    try:
        yield server
    finally:
        server.down()
