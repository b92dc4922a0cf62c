"""A real SMTP server on loopback (aiosmtpd) that keeps every mail it accepted, can be taken
down and brought back on the same port, and can be held: a slow server that takes each mail's
data and answers nothing until the test lets it (a sender that gives up meanwhile closes its
connection, which cancels that mail's handling - it is never accepted)."""

from __future__ import annotations

import asyncio
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
    #: While set, each mail's data waits for it to be set (``Smtp.hold``).
    gate: asyncio.Event | None = None
    #: Mails whose data arrived, and of them those waiting at the gate now.
    arrived: int = 0
    held: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.arrived += 1
            gate = self.gate
        if gate is not None:
            with self.lock:
                self.held += 1
            try:
                await gate.wait()
            finally:
                with self.lock:
                    self.held -= 1
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

    def waiting(self) -> int:
        with self.lock:
            return self.held

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

    def hold(self) -> None:
        """From now on each mail's data waits, unanswered, until ``release``."""
        with self.inbox.lock:
            self.inbox.gate = asyncio.Event()

    def release(self) -> None:
        """Answers the held mails (accepting them) and stops holding."""
        with self.inbox.lock:
            gate, self.inbox.gate = self.inbox.gate, None
        if gate is not None and self.controller is not None:
            self.controller.loop.call_soon_threadsafe(gate.set)

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
        server.release()
        server.down()
