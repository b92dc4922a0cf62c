"""The scheduler as a service (APScheduler 3.x), inside ``ejournal serve`` or as ``ejournal
scheduler``: on start it catches every school up, then checks each school nightly at
``EJOURNAL_SCHEDULER_RUN_AT`` in the school's own time zone, and looks for new schools every
``EJOURNAL_SCHEDULER_REFRESH_SECONDS`` (docs/scheduler.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time
from uuid import UUID
from zoneinfo import ZoneInfo

# APScheduler 3 ships no type information.
from apscheduler.job import Job  # type: ignore[import-untyped]
from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
    BackgroundScheduler,
)
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from ejournal.scheduler.runner import ComplianceRunner
from ejournal.settings import Settings

log = logging.getLogger("ejournal.scheduler")

DISCOVER = "discover-schools"


def job_id(school_id: UUID) -> str:
    return f"check-school/{school_id}"


class ComplianceScheduler:
    def __init__(self, settings: Settings, clock: Callable[[], datetime] | None = None,
                 runner: ComplianceRunner | None = None) -> None:
        self.runner = runner or ComplianceRunner.open(settings, clock)
        self.run_at: time = settings.scheduler_run_at.replace(tzinfo=None)
        self.refresh_seconds = settings.scheduler_refresh_seconds
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            # One run of a job at a time; runs missed while busy or down are folded into the
            # next one (which checks every day not yet checked anyway).
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._lock = threading.Lock()
        #: Told of each school's run: ``ok`` or ``failed`` (the metrics count them).
        self.run_observers: list[Callable[[str], None]] = []

    def start(self) -> None:
        """Starts the jobs; the first look for schools (with its catch-up) runs at once, in the
        scheduler's own thread, so that a server does not wait for it."""
        self.scheduler.start()
        self.scheduler.add_job(self.discover, "interval", seconds=self.refresh_seconds,
                               id=DISCOVER, next_run_time=datetime.now(tz=UTC))

    def discover(self) -> list[UUID]:
        """Adds a nightly job for every school that has none, and catches each up."""
        added = []
        with self._lock:
            self.runner.refresh()
            for school_id, timezone in sorted(self.runner.schools().items(), key=str):
                if self.scheduler.get_job(job_id(school_id)) is not None:
                    continue
                self.scheduler.add_job(
                    self.check_school, CronTrigger(hour=self.run_at.hour,
                                                   minute=self.run_at.minute,
                                                   second=self.run_at.second,
                                                   timezone=ZoneInfo(timezone)),
                    args=[school_id], id=job_id(school_id), name=f"check school {school_id}")
                added.append(school_id)
        for school_id in added:
            self.check_school(school_id)
        return added

    def check_school(self, school_id: UUID) -> None:
        outcome = "ok"
        try:
            self.runner.run_school(school_id)
        except Exception:
            # The next run checks every day this one did not record; a job must not die.
            log.exception("school %s: the compliance check failed; it is retried at the next "
                          "run", school_id)
            outcome = "failed"
        for observer in self.run_observers:
            observer(outcome)

    def jobs(self) -> list[Job]:
        return [j for j in self.scheduler.get_jobs() if j.id != DISCOVER]

    def shutdown(self) -> None:
        self.runner.stopping.set()  # a catch-up in progress stops after the day it is on
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.runner.close()
