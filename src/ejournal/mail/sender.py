"""The sender: takes what is due from the outbox, mails it through ``EJOURNAL_SMTP_URL``
(``smtp://host:port``, from ``EJOURNAL_MAIL_FROM``) with the standard library's ``email`` and
``smtplib``, and records each attempt. An SMTP server that is down or slow delays mail only:
a server that does not answer within ``EJOURNAL_SMTP_TIMEOUT_SECONDS`` is abandoned, a failed
attempt is retried with back-off (1 s, 2 s, 4 s … at most 10 minutes), and journal writes never
wait for it (they only add outbox rows, through the projector; the sender has a thread and
connections of its own).

Digests: a recipient's daily rows, due together at the digest hour, go in one mail.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import Engine

from ejournal.mail import outbox
from ejournal.mail.outbox import Due
from ejournal.settings import Settings

log = logging.getLogger("ejournal.mail")
MAX_BACKOFF = timedelta(minutes=10)


def smtp_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "smtp" or not parts.hostname:
        raise ValueError(f"EJOURNAL_SMTP_URL is smtp://host:port, not {url!r}")
    return parts.hostname, parts.port or 25


def build(sender: str, row: Due | list[Due], at: datetime) -> MIMEText:
    """The mail of one notification, or the digest of several, in Russian (UTF-8).

    The subject is an ``email.header.Header``: the newer header policy folds a long Cyrillic
    subject into encoded words that lose the space between them."""
    rows = row if isinstance(row, list) else [row]
    first = rows[0]
    if len(rows) == 1:
        subject, text = first.subject, first.body
    else:
        subject = f"Электронный журнал: новое за день ({len(rows)})"
        text = "\n".join(f"{r.subject}\n{r.body}" for r in rows)
    mail = MIMEText(text + "\n-- \nЭлектронный журнал\n", "plain", "utf-8")
    mail["Subject"] = cast(str, Header(subject, "utf-8"))  # compat32 takes a Header
    mail["From"] = sender
    mail["To"] = first.email
    mail["Date"] = format_datetime(at)
    # The delivery key names the mail: a repeat is recognisable as the same one.
    mail["Message-ID"] = make_msgid(idstring=first.key, domain="ejournal")
    return mail


def backoff(attempts: int, base: float = 1.0) -> timedelta:
    return min(timedelta(seconds=base * 2 ** max(attempts, 0)), MAX_BACKOFF)


class Sender:
    """One per process. ``clock`` is injectable: tests move time instead of sleeping."""

    def __init__(self, settings: Settings, engine: Engine,
                 clock: Callable[[], datetime] | None = None,
                 connect: Callable[[], smtplib.SMTP] | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(tz=UTC))
        self.lease = timedelta(seconds=settings.mail_lease_seconds)
        self._connect = connect or self._smtp
        self.outages = 0
        self.paused_until: datetime | None = None

    def _smtp(self) -> smtplib.SMTP:
        host, port = smtp_address(self.settings.smtp_url)
        return smtplib.SMTP(host, port, timeout=self.settings.smtp_timeout_seconds)

    def run_once(self) -> int:
        """Sends what is due now; answers how many notifications were sent."""
        now = self.clock()
        if self.paused_until is not None and now < self.paused_until:
            return 0  # the SMTP server was away: back off before trying again
        rows = outbox.due(self.engine, now)
        if not rows:
            return 0
        groups: dict[tuple[str, bool], list[Due]] = {}
        for row in rows:
            kept = (row.recipient_id.hex, True) if row.digest else (row.key, False)
            groups.setdefault(kept, []).append(row)
        done = 0
        smtp: smtplib.SMTP | None = None
        try:
            for group in groups.values():
                mine = [r for r in group if outbox.claim(self.engine, r.key, now, self.lease)]
                if not mine:
                    continue
                keys = [r.key for r in mine]
                try:
                    if smtp is None:
                        smtp = self._connect()
                    smtp.send_message(build(self.settings.mail_from, mine, now))
                except smtplib.SMTPResponseException as exc:
                    permanent = 500 <= exc.smtp_code < 600
                    self._failed(keys, now, f"{exc.smtp_code} {exc.smtp_error!r}", permanent)
                    _dropped(smtp)
                    smtp = None
                    continue
                except smtplib.SMTPRecipientsRefused as exc:
                    self._failed(keys, now, f"recipient refused: {exc.recipients!r}", True)
                    continue
                except (OSError, smtplib.SMTPException) as exc:
                    self._failed(keys, now, f"{type(exc).__name__}: {exc}", False)
                    self.outages += 1
                    self.paused_until = now + backoff(self.outages - 1)
                    _dropped(smtp)
                    smtp = None
                    break  # the server is away: the rest waits for the next round
                outbox.sent(self.engine, keys, self.clock())
                self.outages, self.paused_until = 0, None
                done += len(keys)
        finally:
            _dropped(smtp)
        return done

    def _failed(self, keys: list[str], now: datetime, error: str, permanent: bool) -> None:
        log.warning("mail not sent (%s); %s", error[:200],
                    "given up" if permanent else "retried later")
        outbox.failed(self.engine, keys, now, error, permanent=permanent, backoff=backoff)

    def run_forever(self, stop: threading.Event, poll: float = 0.5) -> None:
        while not stop.is_set():
            if self.run_once() == 0:
                stop.wait(poll)


def _dropped(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
