"""The documents' school on a module's server, its people logged in (``world``)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ejournal.accounts import Accounts
from ejournal.projections.base import create_read_engine
from tests.api.helpers import PASSWORD
from tests.documents import world
from tests.servers import Server


@dataclass
class Printing:
    server: Server
    w: world.World
    tokens: dict[str, str]

    def get(self, who: str, path: str, **params: str) -> bytes:
        with self.server.client(self.tokens[who]) as client:
            answer = client.get(path, params=params or None)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/pdf"
        return answer.content


@pytest.fixture(scope="module")
def printing(module_server: Server) -> Printing:
    app = module_server.app()
    accounts = Accounts(create_read_engine(module_server.database.settings))
    try:
        w = world.build(app, students=6)
        for user_id in w.s.people.values():
            accounts.set_password(user_id, PASSWORD, now=module_server.clock())
    finally:
        app.close()
        accounts.engine.dispose()
    tokens = {who: module_server.login(w.s.usernames[who], PASSWORD)
              for who in ("admin", "teacher", "other", "auditor", "guardian", "student0",
                          "student1")}
    return Printing(module_server, w, tokens)
