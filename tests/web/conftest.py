"""Browser tests: Playwright driving Debian's Chromium (``apt-get install chromium``; its own
browser download cannot work here) against a real server (uvicorn on a loopback port) over
SQLite and PostgreSQL.

Each page records every request the browser makes; a request to any other origin fails the
test. Screenshots go to a directory under the test run's tmp (``EJOURNAL_UI_SCREENSHOTS``
names another, e.g. ``docs/ui`` to refresh the committed set).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.servers import Server
from tests.web.world import PASSWORD, School, build

#: Debian's binary (``/usr/bin/chromium`` is a wrapper script around it).
CHROMIUM = os.environ.get("EJOURNAL_CHROMIUM") or (
    "/usr/lib/chromium/chromium" if Path("/usr/lib/chromium/chromium").exists()
    else shutil.which("chromium") or "chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
WIDTHS = (360, 1280)
#: The screenshots «Справка» shows (a refresh of docs/ui copies them beside the pages).
HELP_SHOTS = {"login-360", "diary-360", "access-log-360", "journal-1280", "cell-1280",
              "audit-late-1280", "school-1280", "school-account-1280", "school-import-errors-1280",
              "school-class-forms-1280"}
HELP_DIR = Path(__file__).parents[2] / "src" / "ejournal" / "web" / "static" / "help"


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (.ci/run does)")
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("EJOURNAL_UI_SCREENSHOTS")
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def school(module_server: Server) -> School:
    built = build(module_server)
    module_server.caught_up()
    return built


@dataclass
class Visit:
    """A browser context of one user: its page, and every URL it requested."""

    page: Page
    origin: str
    shots: Path
    database: str
    requests: list[str] = field(default_factory=list)

    def go(self, path: str) -> Page:
        self.page.goto(self.origin + path)
        return self.page

    def login(self, username: str, password: str = PASSWORD) -> Page:
        self.go("/")
        self.page.get_by_label("Логин").fill(username)
        self.page.get_by_label("Пароль").fill(password)
        self.page.get_by_role("button", name="Войти").click()
        self.page.wait_for_load_state()
        return self.page

    def shoot(self, name: str, *, full_page: bool = True) -> None:
        """The page at each width (full length unless told); only the SQLite run writes
        them (the same pages on PostgreSQL)."""
        if self.database != "sqlite":
            return
        size = self.page.viewport_size or {"width": 1280, "height": 800}
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 800})
            path = self.shots / f"{name}-{width}.png"
            self.page.screenshot(path=path, full_page=full_page)
            if os.environ.get("EJOURNAL_UI_SCREENSHOTS") and path.stem in HELP_SHOTS:
                HELP_DIR.mkdir(exist_ok=True)
                shutil.copyfile(path, HELP_DIR / path.name)
        self.page.set_viewport_size(size)

    def foreign(self) -> list[str]:
        return [url for url in self.requests
                if not (url.startswith(self.origin + "/") or url == self.origin
                        or url.startswith(("data:", "about:")))]


@pytest.fixture
def visit(browser: Browser, module_server: Server, shots_dir: Path
          ) -> Iterator[Callable[..., Visit]]:
    """Opens fresh browser contexts (no cookies shared; ``javascript=False`` for one that
    runs no script); after the test, no context asked any other origin for anything."""
    opened: list[Visit] = []

    def open_one(*, javascript: bool = True) -> Visit:
        context = browser.new_context(viewport={"width": 1280, "height": 800},
                                      locale="ru-RU", java_script_enabled=javascript)
        context.set_default_timeout(15_000)
        page = context.new_page()
        made = Visit(page, module_server.url, shots_dir, module_server.database.kind)
        context.on("request", lambda request: made.requests.append(request.url))
        opened.append(made)
        return made

    yield open_one
    for made in opened:
        made.page.context.close()
    for made in opened:
        assert made.requests, "the browser asked for nothing"
        assert made.foreign() == [], f"requests left the server's origin: {made.foreign()}"
