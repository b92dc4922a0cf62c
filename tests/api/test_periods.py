"""Periods of two kinds over HTTP (R-6.2): quarters and a year period are planned, the year
answers each period's kind, and an overlap names the period's index as sent."""

from __future__ import annotations

from datetime import date

from tests.api.helpers import build_school, created, error_fields, log_length, problem, year_body
from tests.servers import Server

Y1, Y2 = date(2027, 9, 1), date(2028, 5, 31)
QUARTERS = [("I четверть", "2027-09-01", "2027-10-24"), ("II четверть", "2027-11-03",
                                                          "2027-12-28"),
            ("III четверть", "2028-01-10", "2028-03-19"), ("IV четверть", "2028-03-29",
                                                           "2028-05-31")]


def test_quarters_and_a_year_period_are_planned_with_their_kinds(server: Server) -> None:
    s = build_school(server, "pk")
    periods = [{"name": n, "starts_on": a, "ends_on": b} for n, a, b in QUARTERS]
    periods.insert(2, {"name": "Год", "starts_on": "2027-09-01", "ends_on": "2028-05-31",
                       "kind": "year"})
    with server.client(s.tokens["admin"]) as c:
        year = created(c.post(f"/api/v1/schools/{s.id}/years",
                              json={**year_body(Y1, Y2, name="2027/2028"), "periods": periods}))
        assert [(p["name"], p["kind"]) for p in year["periods"]] == [
            ("I четверть", "term"), ("II четверть", "term"), ("Год", "year"),
            ("III четверть", "term"), ("IV четверть", "term")]
        listed = c.get(f"/api/v1/schools/{s.id}/years")
        assert listed.status_code == 200, listed.text
        (planned,) = [y for y in listed.json()["items"] if y["id"] == year["id"]]
        assert {p["name"]: p["kind"] for p in planned["periods"]} == {
            "I четверть": "term", "II четверть": "term", "III четверть": "term",
            "IV четверть": "term", "Год": "year"}


def test_overlapping_terms_are_422_naming_the_index_as_sent(server: Server) -> None:
    s = build_school(server, "po")
    before = log_length(server)
    periods = [{"name": "II", "starts_on": "2027-10-20", "ends_on": "2027-12-28"},
               {"name": "I", "starts_on": "2027-09-01", "ends_on": "2027-10-24"}]
    two_years = [{"name": "I", "starts_on": "2027-09-01", "ends_on": "2028-05-31"},
                 {"name": "Год", "starts_on": "2027-09-01", "ends_on": "2028-05-31",
                  "kind": "year"},
                 {"name": "Год 2", "starts_on": "2027-09-01", "ends_on": "2028-05-31",
                  "kind": "year"}]
    with server.client(s.tokens["admin"]) as c:
        bad = problem(c.post(f"/api/v1/schools/{s.id}/years",
                             json={**year_body(Y1, Y2), "periods": periods}), 422)
        assert error_fields(bad) == ["periods[0]"]
        assert "overlaps" in bad["detail"]
        bad = problem(c.post(f"/api/v1/schools/{s.id}/years",
                             json={**year_body(Y1, Y2), "periods": two_years}), 422)
        assert error_fields(bad) == ["periods[2].kind"]
        bad = problem(c.post(f"/api/v1/schools/{s.id}/years", json={
            **year_body(Y1, Y2), "periods": [{**two_years[0], "kind": "season"}]}), 422)
        assert error_fields(bad) == ["periods[0].kind"]
    assert log_length(server) == before


def test_period_marks_out_of_time_over_http(server: Server) -> None:
    """Before its period begins: 422 citing R-6.2, nothing written; corrected after the
    period's last day: accepted, and in late-entries as ``period_mark_correction``."""
    s = build_school(server, "pt")  # the clock: 25.11.2026, in II четверть
    first, _, third, _ = s.period_ids
    student = s.student_ids[0]
    before = log_length(server)
    path = f"/api/v1/journals/{s.journal_id}/period-marks"
    with server.client(s.tokens["teacher"]) as c:
        bad = problem(c.post(path, json={"student_id": student, "period_id": third,
                                         "value": "5"}), 422)
        assert bad["rule"] == "R-6.2"
        assert error_fields(bad) == ["period_id"]
        assert log_length(server) == before
        given = created(c.post(path, json={"student_id": student, "period_id": first,
                                           "value": "4"}))
        assert given["late"]["rule"] == "R-6.2"  # I четверть ended on 25.10
        corrected = c.post(f"{path}/{given['id']}/corrections",
                           json={"value": "5", "reason": "пересдача"})
        assert corrected.status_code == 201, corrected.text
    server.caught_up()
    with server.client(s.tokens["admin"]) as c:
        listed = c.get(f"/api/v1/schools/{s.id}/late-entries")
        assert listed.status_code == 200, listed.text
    assert [(e["entry"], e["rule"], e["date"]) for e in listed.json()["items"]] == [
        ("period_mark", "R-6.2", "2026-10-25"),
        ("period_mark_correction", "R-6.2", "2026-10-25")]
