"""Names are normalised before uniqueness is checked (api-v1.md, "Conventions": names): NFC,
trimmed, each run of whitespace one space, invisible characters refused naming the field - for
subjects and classes; usernames are trimmed, NFC and unique case-folded. A name that only looks
different is the same name (409), an invisible character is 422, and neither writes anything."""

from __future__ import annotations

import unicodedata
from typing import Any

import httpx

from tests.api.helpers import (
    PASSWORD,
    build_school,
    created,
    error_fields,
    log_length,
    problem,
    year_body,
)
from tests.servers import Server

RUSSIAN = "Русский язык"
ALIKE = [unicodedata.normalize("NFD", RUSSIAN), "Русский  язык", " Русский язык ",
         "Русский\u00a0язык", "Русский\tязык", "русский ЯЗЫК"]
INVISIBLE = ["Русский\u200bязык", "\ufeffРусский язык", "Русский\u200dязык",
             "Русский язык\u200e", "Русский\u0007язык"]


def _refused(server: Server, answers: list[httpx.Response], status: int,
             field: str) -> list[dict[str, Any]]:
    bodies = [problem(a, status) for a in answers]
    if status == 422:
        assert {tuple(error_fields(b)) for b in bodies} == {(field,)}, bodies
    return bodies


def test_a_subject_that_only_looks_different_is_the_same_subject(server: Server) -> None:
    s = build_school(server)
    path = f"/api/v1/schools/{s.id}/subjects"
    with server.client(s.tokens["admin"]) as c:
        first = created(c.post(path, json={"name": unicodedata.normalize("NFD", RUSSIAN)}))
        before = log_length(server)
        alike = [c.post(path, json={"name": n}) for n in ALIKE]
        invisible = [c.post(path, json={"name": n}) for n in INVISIBLE]
        assert log_length(server) == before
        server.caught_up()
        listed = c.get(path)
    _refused(server, alike, 409, "name")
    _refused(server, invisible, 422, "name")
    assert listed.status_code == 200, listed.text
    # the name is kept as normalised: NFC
    assert [x["name"] for x in listed.json()["items"] if x["id"] == first["id"]] == [RUSSIAN]


def test_a_class_that_only_looks_different_is_the_same_class(server: Server) -> None:
    s = build_school(server)
    path = f"/api/v1/schools/{s.id}/classes"
    with server.client(s.tokens["admin"]) as c:
        created(c.post(path, json={"name": "10 А", "year_id": s.year_id}))
        before = log_length(server)
        alike = [c.post(path, json={"name": n, "year_id": s.year_id})
                 for n in ("10  А", " 10 А", "10\u00a0А", "10 а")]
        invisible = [c.post(path, json={"name": n, "year_id": s.year_id})
                     for n in ("10\u200bА", "10 А\u2060")]
        assert log_length(server) == before
        # another year may have a class of that name
        other_year = created(c.post(f"/api/v1/schools/{s.id}/years",
                                    json=year_body(s.starts_on.replace(year=2027),
                                                   s.ends_on.replace(year=2028),
                                                   name="2027/28")))
        created(c.post(path, json={"name": "10 А", "year_id": other_year["id"]}))
    _refused(server, alike, 409, "name")
    _refused(server, invisible, 422, "name")


def test_a_username_that_only_looks_different_is_taken(server: Server) -> None:
    s = build_school(server)
    path = f"/api/v1/schools/{s.id}/users"

    def user(username: str) -> dict[str, Any]:
        return {"username": username, "password": PASSWORD, "full_name": "Иван Петров",
                "role": "teacher"}

    with server.client(s.tokens["admin"]) as c:
        created(c.post(path, json=user("Ivan.Petrov")))
        before = log_length(server)
        alike = [c.post(path, json=user(n)) for n in ("ivan.petrov", " ivan.petrov ",
                                                     "IVAN.PETROV\t")]
        invisible = [c.post(path, json=user(n)) for n in ("ivan\u200b.petrov",
                                                         "\u2060ivan.petrov")]
        assert log_length(server) == before
    _refused(server, alike, 409, "username")
    _refused(server, invisible, 422, "username")
    # and the account is found whatever the case it is typed in
    assert server.login("IVAN.PETROV", PASSWORD)
