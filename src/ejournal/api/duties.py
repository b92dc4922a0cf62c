"""What runs once per database beside the requests: the projector, the ledger's follower, the
mail sender (with ``EJOURNAL_SMTP_URL``) and the compliance scheduler - the duties.

``start`` runs them in the calling process (``create_app``'s in-process server, as the tests
use it). ``ejournal serve`` runs them in a process of their own (``main``, started and
restarted by ``serving.Duties``), so that the projector does not take the request-serving
process's GIL: that process is the server's bottleneck, one core at most. The duties'
process holds the lease of leadership (``ejournal.leadership``) while it runs them, so that
several ``ejournal serve`` over one database still run one projector. It stops on SIGTERM
and when its standard input ends: the server that started it has gone, however it went."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import HTTPException

from ejournal import leadership
from ejournal.api.services import Clock, Services
from ejournal.api.shards import Sharded
from ejournal.settings import Settings

if TYPE_CHECKING:
    from ejournal.scheduler.service import ComplianceScheduler

#: Seconds between the idle projector's looks at the log's head in the duties' process: the
#: most a writer's next read waits for the projector to start on its write, beyond the
#: batch itself (it costs this process a query each time, not the API's).
IDLE_POLL = 0.01

#: How ``ejournal serve`` hands the duties' process (and its workers) what it was asked.
ENV = "EJOURNAL_SERVE_WORKER"


def start(settings: Settings, svc: Services, shards: Sharded | None, clock: Clock | None, *,
          projector: bool, scheduler: bool,
          on_scheduler_run: Callable[[str], None] | None = None,
          idle_poll: float | None = None) -> list[ComplianceScheduler]:
    """Starts the duties in this process (in threads): the projector, the ledger's follower
    and the mail sender with ``projector``, for the main database and every shard; the
    scheduler with ``scheduler``. ``idle_poll``: the projector's look at the log's head
    while it is idle (``Projector.run_forever``). Returns the schedulers, to shut down."""

    def project(shard: Services) -> None:
        shard.start_projector(idle_poll)
        if settings.smtp_url:
            shard.start_mailer()

    if projector:
        project(svc)
        if shards is not None:
            shards.each(project)
    schedulers: list[ComplianceScheduler] = []
    if scheduler:
        from ejournal.scheduler.service import ComplianceScheduler

        for chosen in [settings, *(s.settings for s in (shards.shards.values()
                                                        if shards else ()))]:
            running = ComplianceScheduler(chosen, clock)
            if on_scheduler_run is not None:
                running.run_observers.append(on_scheduler_run)
            running.start()
            schedulers.append(running)
    return schedulers


def _until_end_of_input(stop: threading.Event) -> None:
    # The descriptor, not sys.stdin: a daemon thread blocked in a buffered read at shutdown
    # holds the buffer's lock, and the interpreter aborts.
    with suppress(OSError):
        while os.read(0, 4096):
            pass
    stop.set()


def main() -> None:
    """The duties' process: what ``ejournal serve`` handed it (``ENV``), run while this
    process leads, until SIGTERM or the end of its standard input."""
    handed = json.loads(os.environ[ENV])
    settings = Settings.model_validate(handed["settings"])
    frozen = handed["serving"].get("now")
    moment = datetime.fromisoformat(frozen) if frozen else None
    clock = (lambda: moment) if moment is not None else None
    leadership.announce()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ctrl-C reaches the whole process group: the server stops this process itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_until_end_of_input, args=(stop,), daemon=True,
                     name="ejournal-parent").start()
    svc = Services.open(settings, clock)
    shards = Sharded(settings, svc, clock, shared_writes=False) if settings.shards else None
    schedulers: list[ComplianceScheduler] = []

    def duties() -> None:
        schedulers.extend(start(settings, svc, shards, clock,
                                projector=handed["serving"]["run_projector"],
                                scheduler=handed["serving"]["run_scheduler"],
                                idle_poll=IDLE_POLL))

    # A PostgreSQL leader that lost its lease's connection stops: the server starts another.
    lead = leadership.Leadership(leadership.lease_for(settings), duties, svc.stop,
                                 on_lost=stop.set)
    lead.start()
    try:
        while not stop.wait(leadership.RETRY):
            if shards is not None and lead.leading.is_set():
                for shard in shards.shards.values():
                    if shard.services is None:  # down when this process started
                        with suppress(HTTPException):
                            shard.get()
    finally:
        svc.stop.set()
        lead.join(timeout=10)
        for running in schedulers:
            running.shutdown()
        svc.close()
        if shards is not None:
            shards.close()


if __name__ == "__main__":
    main()
