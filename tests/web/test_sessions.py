"""Sessions in the browser: the login page, landing pages per role, cookie flags, CSRF on
every POST, logout ending the session for the API too, the security headers of pages, and
the Swagger UI served from the server's own assets."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from tests.databases import Database
from tests.servers import OPERATOR, Server, serving
from tests.web.conftest import Visit
from tests.web.world import PASSWORD, School

LANDING = {"guardian": "/diary", "vera": "/diary", "teacher": "/journals",
           "admin": "/school", "auditor": "/audit"}


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def _signed_in(server: Server, username: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    form = client.get("/")
    answer = client.post("/", data={"username": username, "password": password,
                                    "csrf": _csrf(form.text)})
    assert answer.status_code == 303, answer.text
    return client


@pytest.mark.parametrize("who", sorted(LANDING))
def test_each_role_lands_on_its_page(visit: Callable[..., Visit], school: School,
                                     who: str) -> None:
    page = visit().login(school.usernames[who])
    expect(page).to_have_url(re.compile(re.escape(LANDING[who]) + "$"))
    expect(page.get_by_role("link", name="Справка")).to_be_visible()
    headings = {"/audit": "Проверка: поздние записи", "/school": "Школа: Школа № 1"}
    if LANDING[who] in headings:
        expect(page.get_by_role("heading", level=1)).to_have_text(headings[LANDING[who]])
    expect(page.get_by_text("в разработке")).to_have_count(0)


def test_the_operator_lands_on_schools(visit: Callable[..., Visit], school: School) -> None:
    page = visit().login(OPERATOR[0], OPERATOR[1])
    expect(page).to_have_url(re.compile("/schools$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Школы платформы")


def test_a_wrong_password_and_an_unknown_login_say_the_same(
        visit: Callable[..., Visit], school: School) -> None:
    said = []
    for username, password in ((school.usernames["guardian"], "wrong-password"),
                               ("w-nobody-at-all", "wrong-password")):
        v = visit()
        page = v.login(username, password)
        expect(page).to_have_url(re.compile(r"/$"))
        said.append(page.get_by_role("alert").inner_text())
        if username == "w-nobody-at-all":
            v.shoot("login-failed")
    assert said == ["Неверный логин или пароль."] * 2


def test_the_login_page(visit: Callable[..., Visit], school: School) -> None:
    v = visit()
    page = v.go("/")
    expect(page.get_by_label("Логин")).to_be_visible()
    expect(page.get_by_label("Пароль")).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    v.shoot("login")


def test_a_bookmarked_page_comes_back_after_login(visit: Callable[..., Visit],
                                                  school: School) -> None:
    v = visit()
    wanted = f"/diary?student={school.ids['anna']}&week={school.monday.isoformat()}"
    v.go(wanted)
    expect(v.page).to_have_url(re.compile(r"/\?next="))
    v.page.get_by_label("Логин").fill(school.usernames["guardian"])
    v.page.get_by_label("Пароль").fill(PASSWORD)
    v.page.get_by_role("button", name="Войти").click()
    expect(v.page).to_have_url(v.origin + wanted)
    expect(v.page.get_by_role("heading", level=1)).to_have_text("Дневник: Иванова Анна")


def test_session_cookie_flags(module_server: Server, school: School) -> None:
    with httpx.Client(base_url=module_server.url, timeout=30) as client:
        form = client.get("/")
        answer = client.post("/", data={"username": school.usernames["guardian"],
                                        "password": PASSWORD, "csrf": _csrf(form.text)})
    cookie = answer.headers["set-cookie"]
    assert answer.status_code == 303
    assert cookie.startswith("ejournal_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    # X-Forwarded-Proto from a peer that is not a configured proxy is not believed
    with httpx.Client(base_url=module_server.url, timeout=30,
                      headers={"X-Forwarded-Proto": "https"}) as client:
        assert "Secure" not in client.get("/").headers["set-cookie"]
    # Behind an HTTPS proxy on this host (EJOURNAL_TRUSTED_PROXIES), the cookie is Secure.
    database = module_server.database
    settings = database.settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    with serving(Database(database.kind, settings)) as proxied, \
            httpx.Client(base_url=proxied.url, timeout=30,
                         headers={"X-Forwarded-Proto": "https"}) as client:
        form = client.get("/")
        assert "Secure" in form.headers["set-cookie"]
        # (httpx keeps a Secure cookie for https; the proxy's client would send it)
        login_cookie = form.headers["set-cookie"].split(";")[0]
        answer = client.post("/", data={"username": school.usernames["guardian"],
                                        "password": PASSWORD, "csrf": _csrf(form.text)},
                             headers={"Cookie": login_cookie})
    assert "Secure" in answer.headers["set-cookie"]


def test_a_post_without_the_csrf_token_is_refused(module_server: Server,
                                                 school: School) -> None:
    # A login without the form's token is refused and signs nobody in
    with httpx.Client(base_url=module_server.url, timeout=30) as client:
        client.get("/")
        answer = client.post("/", data={"username": school.usernames["guardian"],
                                        "password": PASSWORD})
        assert answer.status_code == 403
        assert "Запрос отклонён" in answer.text
        assert "ejournal_session" not in answer.headers.get("set-cookie", "")
    # A signed-in logout without the token (or with another session's) ends nothing
    client = _signed_in(module_server, school.usernames["guardian"])
    other = _signed_in(module_server, school.usernames["guardian"])
    try:
        for data in ({}, {"csrf": "forged"},
                     {"csrf": _csrf(other.get("/diary").text)}):
            assert client.post("/logout", data=data).status_code == 403
        assert client.get("/diary").status_code == 200
        # With it, the session ends
        assert client.post("/logout", data={"csrf": _csrf(client.get("/diary").text)}
                           ).status_code == 303
        assert client.get("/diary").status_code == 303
    finally:
        client.close()
        other.close()


def test_logout_ends_the_session_for_the_api_too(visit: Callable[..., Visit], school: School,
                                                 module_server: Server) -> None:
    v = visit()
    page = v.login(school.usernames["guardian"])
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "ejournal_session")
    with module_server.client(token) as api:
        assert api.get("/api/v1/me").status_code == 200
        page.get_by_role("button", name="Выйти").click()
        expect(page).to_have_url(re.compile(r"/$"))
        assert api.get("/api/v1/me").status_code == 401
    v.go("/diary")
    expect(page).to_have_url(re.compile(r"/\?next=%2Fdiary$"))


def test_pages_forbid_inline_script(module_server: Server, school: School) -> None:
    client = _signed_in(module_server, school.usernames["guardian"])
    answer = client.get("/diary")
    client.close()
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["cache-control"] == "no-store"
    assert "<script>" not in answer.text
    assert " on" + "click=" not in answer.text


def test_swagger_ui_is_served_from_the_server(visit: Callable[..., Visit],
                                              school: School) -> None:
    v = visit()
    page = v.go("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ejournal")
    expect(page.get_by_text("/api/v1/auth/token").first).to_be_visible()
    v.shoot("docs", full_page=False)


def test_the_guide_is_one_click_from_every_page(visit: Callable[..., Visit],
                                                school: School) -> None:
    v = visit()
    v.login(school.usernames["teacher"])
    v.page.get_by_role("link", name="Справка").click()
    expect(v.page.get_by_role("heading", name="Учителю")).to_be_visible()
    # with the screenshots the browser tests take (each one loads)
    figures = v.page.locator("main figure img")
    expect(figures).to_have_count(2)
    for n in range(figures.count()):
        figures.nth(n).scroll_into_view_if_needed()
        expect(figures.nth(n)).to_have_js_property("complete", True)
        assert figures.nth(n).evaluate("img => img.naturalWidth") > 300
    v.page.get_by_role("link", name="Родитель").click()
    expect(v.page.get_by_role("heading", name="Родителю")).to_be_visible()
    v.shoot("help")
