"""The login rate limit keyed on the client's address (docs/api-v1.md, "Accounts": the TCP
peer, unless it is a proxy in EJOURNAL_TRUSTED_PROXIES), over a real server with clients
bound to loopback addresses of their own (127.0.0.2, 127.0.0.3, ...)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from ejournal.accounts import FAILURES_PER_ACCOUNT, FAILURES_PER_ADDRESS, Accounts, audit
from ejournal.projections.base import create_read_engine
from ejournal.settings import Settings
from tests.databases import Database
from tests.servers import OPERATOR, Server, serving

TOKEN = "/api/v1/auth/token"
USERNAME, PASSWORD = OPERATOR


def _from(server: Server, address: str, **headers: str) -> httpx.Client:
    """A client whose connections leave from ``address``."""
    return httpx.Client(base_url=server.url, timeout=30, headers=headers,
                        transport=httpx.HTTPTransport(local_address=address))


def _login(client: httpx.Client, password: str, **headers: str) -> httpx.Response:
    return client.post(TOKEN, data={"username": USERNAME, "password": password},
                       headers=headers)


def _audited(server: Server) -> list[tuple[str, str | None]]:
    engine = create_read_engine(server.database.settings)
    with engine.connect() as conn:
        rows = conn.execute(select(audit.c.kind, audit.c.address)
                            .where(audit.c.kind.like("login%")).order_by(audit.c.id)).all()
    engine.dispose()
    return [(r.kind, r.address) for r in rows]


def test_failures_from_one_address_do_not_lock_the_owner_out_at_another(
        server: Server) -> None:
    server.caught_up()
    # Given ten wrong passwords for the operator's account from 127.0.0.2
    with _from(server, "127.0.0.2") as attacker:
        assert [_login(attacker, "wrong").status_code for _ in range(10)] == [401] * 10
        # Then that address is refused even the right password
        refused = _login(attacker, PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(15 * 60)
    # And the owner logs in from 127.0.0.3
    with _from(server, "127.0.0.3") as owner:
        answer = _login(owner, PASSWORD)
    assert answer.status_code == 200, answer.text
    assert _audited(server) == [("login_failed", "127.0.0.2")] * 10 + [
        ("login_limited", "127.0.0.2"), ("login", "127.0.0.3")]


def test_x_forwarded_for_changes_nothing_without_a_trusted_proxy(server: Server) -> None:
    server.caught_up()
    with _from(server, "127.0.0.2") as attacker:
        # Each failure claims another address; every one counts against 127.0.0.2
        for n in range(10):
            assert _login(attacker, "wrong",
                          **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code == 401
        # A made-up address does not lift the limit either
        refused = _login(attacker, PASSWORD, **{"X-Forwarded-For": "198.51.100.1"})
    assert refused.status_code == 429
    with _from(server, "127.0.0.3") as owner:
        assert _login(owner, PASSWORD).status_code == 200
    # Nor is it believed from this host's own loopback address
    with _from(server, "127.0.0.1") as local:
        assert _login(local, "wrong", **{"X-Forwarded-For": "203.0.113.50"}).status_code == 401
    assert {address for _, address in _audited(server)} == {
        "127.0.0.1", "127.0.0.2", "127.0.0.3"}


@pytest.fixture
def proxied(database: Database) -> Iterator[Server]:
    """A server behind a proxy at 127.0.0.4."""
    settings = database.settings.model_copy(update={"trusted_proxies": "127.0.0.4"})
    with serving(Database(database.kind, settings)) as running:
        yield running


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(proxied: Server) -> None:
    proxied.caught_up()
    with _from(proxied, "127.0.0.4") as proxy:
        # The proxy's clients: ten failures from 203.0.113.7 lock out that address only
        for _ in range(10):
            assert _login(proxy, "wrong",
                          **{"X-Forwarded-For": "203.0.113.7"}).status_code == 401
        assert _login(proxy, PASSWORD,
                      **{"X-Forwarded-For": "203.0.113.7"}).status_code == 429
        # (a client's own X-Forwarded-For before the proxy's entry is not believed)
        assert _login(proxy, PASSWORD,
                      **{"X-Forwarded-For": "198.51.100.9, 203.0.113.7"}).status_code == 429
        owner = _login(proxy, PASSWORD, **{"X-Forwarded-For": "203.0.113.8"})
    assert owner.status_code == 200, owner.text
    # A peer that is not the proxy is itself the client, whatever it forwards
    with _from(proxied, "127.0.0.2") as direct:
        assert _login(direct, PASSWORD,
                      **{"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    assert _audited(proxied)[-3:] == [("login_limited", "203.0.113.7"),
                                      ("login", "203.0.113.8"), ("login", "127.0.0.2")]


def test_the_account_wide_and_address_wide_ceilings(server: Server) -> None:
    server.caught_up()
    accounts = Accounts(create_read_engine(server.database.settings))
    now = server.clock()
    # Given the account's failures spread over many addresses, one short of its ceiling
    for n in range(FAILURES_PER_ACCOUNT - 1):
        accounts.record_failure(USERNAME, f"10.0.{n // 250}.{n % 250}", now=now)
    with _from(server, "127.0.0.3") as owner:
        assert _login(owner, PASSWORD).status_code == 200
        # When one more fails, the account is refused everywhere
        accounts.record_failure(USERNAME, "10.9.9.9", now=now)
        assert _login(owner, PASSWORD).status_code == 429
    # And an address with a hundred failures over other accounts is refused for any account
    for n in range(FAILURES_PER_ADDRESS):
        accounts.record_failure(f"user{n}", "127.0.0.5", now=now)
    with _from(server, "127.0.0.5") as noisy:
        assert noisy.post(TOKEN, data={"username": "someone", "password": "x" * 10}
                          ).status_code == 429
    accounts.engine.dispose()


def test_a_trusted_proxy_that_is_not_an_address_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValidationError, match=r"EJOURNAL_TRUSTED_PROXIES: 'proxy\.local'"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.local")
    assert Settings(trusted_proxies=" 10.0.0.1 , 192.168.0.0/16").trusted_proxies
