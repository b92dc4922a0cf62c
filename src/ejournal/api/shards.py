"""Requests routed to the shard of their school (``ejournal.shards``): one set of services (the
application, projector, read models, accounts) per shard, the main database's own for the
directory and the operators.

A request goes to the shard that issued its token (a shard's tokens begin with its name and a
dot); an operator's request (the main database's token) to the shard of the school its path
names; a login to the shard holding the username; a new school to the shard holding the
fewest. A shard that does not answer is a 503 for its schools' requests only."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID

from anyio import to_thread
from fastapi import HTTPException, Request

from ejournal.api.problems import RETRY_AFTER, STORAGE_ERRORS
from ejournal.api.services import Clock, Services
from ejournal.application.commands import RegisterOperator
from ejournal.domain.people import username_taken
from ejournal.domain.values import Role
from ejournal.projections.base import create_read_engine
from ejournal.settings import Settings, parse_shards
from ejournal.shards import Directory, emptiest

T = TypeVar("T")

LOGIN = "/api/v1/auth/token"
SCHOOLS = "/api/v1/schools"


def unavailable(name: str) -> HTTPException:
    return HTTPException(503, f"the shard {name!r} holding this school is unavailable; retry "
                              "later (a write: with the same Idempotency-Key)",
                         headers={"Retry-After": RETRY_AFTER})


@dataclass
class Shard:
    """One shard's services, opened at the first use that finds its database up."""

    name: str
    settings: Settings
    clock: Clock | None
    shared_writes: bool
    services: Services | None = None
    #: Run on the services once opened (the projector, when this process runs the duties).
    on_open: list[Callable[[Services], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> Services:
        opened = self.services
        if opened is not None:
            return opened
        with self.lock:
            if self.services is None:
                try:
                    svc = Services.open(self.settings, self.clock,
                                        shared_writes=self.shared_writes)
                except STORAGE_ERRORS:
                    raise unavailable(self.name) from None
                svc.accounts.token_prefix = f"{self.name}."
                for run in self.on_open:
                    run(svc)
                self.services = svc
            return self.services

    def up(self) -> bool:
        """Whether the shard's database answers now."""
        try:
            # Not the log's own recorder: it retries a refused connection for seconds.
            with self.get().reader.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except (HTTPException, *STORAGE_ERRORS):
            return False
        return True


class Sharded:
    """The main database's services and directory, and every shard's."""

    def __init__(self, settings: Settings, main: Services, clock: Clock | None, *,
                 shared_writes: bool) -> None:
        self.main = main
        self.directory = Directory(create_read_engine(settings))
        self.directory.setup()
        self.shards = {name: Shard(name, settings.model_copy(update={"database_url": url,
                                                                      "shards": "",
                                                                      "replica_url": ""}),
                                   clock, shared_writes)
                       for name, url in parse_shards(settings.shards).items()}
        self._operators: set[tuple[str, UUID]] = set()  # on the shard's log already
        for shard in self.shards.values():
            with suppress(HTTPException):  # else opened by the first request finding it up
                shard.get()

    def each(self, run: Callable[[Services], None]) -> None:
        """``run`` on every shard's services, now or once the shard is opened."""
        for shard in self.shards.values():
            with shard.lock:
                if shard.services is None:
                    shard.on_open.append(run)
                    continue
            run(shard.services)

    def opened(self) -> Iterator[Services]:
        return (s.services for s in self.shards.values() if s.services is not None)

    def close(self) -> None:
        for svc in self.opened():
            svc.close()
        self.directory.engine.dispose()

    # --- routing ---------------------------------------------------------------------------

    async def services_for(self, request: Request) -> Services:
        username = None
        if request.url.path == LOGIN and request.method == "POST":
            form = await request.form()
            given = form.get("username")
            username = given if isinstance(given, str) else None
        token = _token(request)
        school = request.path_params.get("school_id")
        return await to_thread.run_sync(self._route, request, token, username,
                                        school if isinstance(school, str) else None)

    def token_services(self, token: str | None) -> Services:
        """Whose accounts hold the token's session."""
        name, dot, _ = (token or "").partition(".")
        if dot and name in self.shards:
            return self.shards[name].get()
        return self.main

    def _route(self, request: Request, token: str | None, username: str | None,
               school: str | None) -> Services:
        name, dot, _ = (token or "").partition(".")
        if dot and name in self.shards:
            return self.shards[name].get()
        if username is not None:
            return self._holding(username)
        operator = self._operator(token)
        if operator is None:
            return self.main
        if request.url.path == SCHOOLS and request.method == "POST":
            chosen = self._placement()
            request.state.shard = chosen
            return self._for_operator(chosen, operator)
        if school is not None:
            try:
                school_id = UUID(school)
            except ValueError:
                return self.main  # the route answers 422 for it
            placed = self.directory.shard_of(school_id)
            if placed in self.shards:
                return self._for_operator(placed, operator)
        return self.main

    def _holding(self, username: str) -> Services:
        """The services whose log holds the username: the main database's (operators) first;
        a shard that does not answer is a 503 if no other holds it."""
        if self.main.app.user_by_username(username) is not None:
            return self.main
        down = None
        for shard in self.shards.values():
            try:
                svc = shard.get()
                if svc.app.user_by_username(username) is not None:
                    return svc
            except (HTTPException, *STORAGE_ERRORS):
                down = down or shard.name
        if down is not None:
            raise unavailable(down)
        return self.main  # nobody has it: the login answers 401

    def _operator(self, token: str | None) -> tuple[UUID, str, str] | None:
        """The operator whose token (the main database's) this is, if it is one's."""
        if not token:
            return None
        session = self.main.accounts.session(token, now=self.main.now())
        if session is None:
            return None
        user = self.main.app.user(session.user_id)
        if user is None or user.role is not Role.OPERATOR:
            return None
        return user.id, user.username, user.full_name

    def _for_operator(self, name: str, operator: tuple[UUID, str, str]) -> Services:
        """The shard's services, its log holding the operator (a command checks its actor
        there)."""
        svc = self.shards[name].get()
        user_id, username, full_name = operator
        if (name, user_id) not in self._operators:
            try:
                if svc.app.user(user_id) is None:
                    svc.app.execute(RegisterOperator(username=username, full_name=full_name),
                                    new_id=user_id)
            except STORAGE_ERRORS:
                raise unavailable(name) from None
            self._operators.add((name, user_id))
        return svc

    def _placement(self) -> str:
        """A new school's shard: the emptiest of those that answer."""
        up = {name: shard for name, shard in self.shards.items() if shard.up()}
        if not up:
            raise unavailable(next(iter(self.shards)))
        return emptiest(up, self.directory.counts())

    def placed(self, request: Request, school_id: UUID) -> None:
        """Records a new school's shard, chosen by the route (idempotent)."""
        chosen = getattr(request.state, "shard", None)
        if chosen is not None:
            self.directory.place(school_id, chosen, now=self.main.now())

    def username_free(self, username: str, here: Services) -> None:
        """A username is unique across the platform: refused if the main database or another
        shard holds it (two shards registering one name at the same moment both may)."""
        units = [self.main, *(shard.get() for shard in self.shards.values())]
        for svc in units:
            if svc is not here and svc.app.user_by_username(username) is not None:
                raise username_taken(username)

    def across(self, read: Callable[[Services], list[T]]) -> list[T]:
        """An operator's list: ``read`` of every shard, in the configuration's order; a shard
        down is a 503 (the list would be short of its schools)."""
        found: list[T] = []
        for shard in self.shards.values():
            try:
                found += read(shard.get())
            except STORAGE_ERRORS:
                raise unavailable(shard.name) from None
        return found

    def health(self) -> dict[str, str]:
        return {name: "ok" if shard.up() else "down" for name, shard in self.shards.items()}


def _token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return None


def sharded(request: Request) -> Sharded | None:
    found: Sharded | None = getattr(request.app.state, "shards", None)
    return found
