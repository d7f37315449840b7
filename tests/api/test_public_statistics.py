"""Published timeliness through the API and the pages: the figures, the charts (SVG without
scripts, with the same figures in tables), the method, the downloads, and the office's own view."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.api.conftest import complete_fields

API = "/api/v1"
FOCAL = "state_focal_point"


@pytest.fixture
def people(world):
    return {"fiji": world.account(FOCAL, state="FJI"), "reviewer": world.account("reviewer"),
            "approver": world.account("approver")}


def reviewed_cases(client, world, people, count: int) -> list[str]:
    """`count` advisory requests sent on a Monday and reviewed a week later: five working days."""
    refs = []
    for _ in range(count):
        r = client.post(f"{API}/cases", json={"type": "advisory", **complete_fields("advisory")},
                        headers=people["fiji"].auth)
        assert r.status_code == 201, r.get_json()
        refs.append(r.get_json()["reference"])
    for ref in refs:
        assert client.post(f"{API}/cases/{ref}/transitions", json={"trigger": "submit"},
                           headers=people["fiji"].auth).status_code == 200
    world.clock.advance(days=7)
    for ref in refs:
        r = client.post(f"{API}/cases/{ref}/transitions", headers=people["reviewer"].auth, json={
            "trigger": "review", "data": {"assessment": "Sound", "recommendation": "approve"}})
        assert r.status_code == 200, r.get_json()
    return refs


def test_the_figures_as_json_cacheable_and_without_cookies(client, world, people):
    reviewed_cases(client, world, people, 5)
    r = client.get(f"{API}/public/statistics")
    assert r.status_code == 200
    body = r.get_json()
    review = body["by_type"]["advisory"]["rolling"]["review"]
    assert review["completed"] == 5 and review["median_days"] == 5.0 and review["p80_days"] == 5.0
    assert review["within_deadline_share"] == 1.0
    assert body["deadlines"]["advisory"]["review"] == 15
    assert "public" in r.headers["Cache-Control"] and r.headers.get("ETag")
    assert "Set-Cookie" not in r.headers
    assert "by_state" not in body and "by_person" not in body
    again = client.get(f"{API}/public/statistics", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_fewer_than_five_is_said_and_no_figure_given(client, world, people):
    reviewed_cases(client, world, people, 3)
    body = client.get(f"{API}/public/statistics").get_json()
    review = body["by_type"]["advisory"]["rolling"]["review"]
    assert review["fewer_than_5"] and review["median_days"] is None and review["completed"] is None
    page = client.get("/public/statistics?type=advisory").get_data(as_text=True)
    assert "fewer than 5" in page


def test_the_page_shows_the_figures_in_a_table_beside_its_charts(client, world, people):
    reviewed_cases(client, world, people, 5)
    r = client.get("/public/statistics?type=advisory&period=rolling")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "<th scope=\"row\">Review</th>" in page and "5.0" in page and "100%" in page
    charts = re.findall(r'<img src="([^"]+\.svg[^"]*)"[^>]*alt="([^"]+)"', page)
    assert len(charts) == 2 and all(alt.strip() for _src, alt in charts)
    for src, _alt in charts:
        svg = client.get(src.replace("&amp;", "&"))
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert b"<script" not in svg.data and b"<svg" in svg.data
        assert "script-src" not in svg.headers["Content-Security-Policy"]
        assert "default-src 'none'" in svg.headers["Content-Security-Policy"]


def test_in_french_too(client, world, people):
    reviewed_cases(client, world, people, 5)
    page = client.get("/public/statistics?lang=fr").get_data(as_text=True)
    assert 'lang="fr"' in page


def test_the_method_states_the_deadlines_in_force(client):
    page = client.get("/public/statistics/method").get_data(as_text=True)
    assert "Deadlines in force" in page and "Advisory services" in page
    assert "fewer than 5" in page and "Time waiting for the State" in page


@pytest.mark.parametrize("query", ["period=1999", "type=nonsense", "period=%00", "type=<script>",
                                   "period=" + "9" * 5000])
def test_a_bad_choice_is_said_on_the_page(client, query):
    r = client.get(f"/public/statistics?{query}")
    assert r.status_code in (400, 422)  # a NUL byte is refused before the page sees it
    if r.status_code == 422:
        assert "There is a problem" in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/public/statistics/charts/other.svg",
                                  "/public/statistics/charts/stages.svg?type=nonsense"])
def test_unknown_charts_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_the_figures_as_csv(client, world, people):
    reviewed_cases(client, world, people, 5)
    r = client.get("/public/statistics.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    row = next(x for x in rows if x["period"] == "rolling" and x["request_type"] == "advisory"
               and x["stage"] == "review")
    assert row["completed"] == "5" and row["median_working_days"] == "5.0"
    assert row["deadline_working_days"] == "15"


def test_the_office_sees_its_figures_by_state_and_by_person(client, world, people):
    reviewed_cases(client, world, people, 3)
    staff = world.account("board")
    world.login(client, staff)
    r = client.get("/statistics")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Fiji" in page and "By person" in page
    chart = client.get("/statistics/monthly.svg")
    assert chart.status_code == 200 and b"<script" not in chart.data


def test_a_state_does_not_see_the_offices_figures(client, world, people):
    world.login(client, people["fiji"])
    assert client.get("/statistics").status_code == 403
    assert client.get("/statistics/monthly.svg").status_code == 403


def test_without_signing_in_the_offices_figures_ask_for_it(client):
    r = client.get("/statistics")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]


def test_the_record_leads_to_the_processing_times(client):
    page = client.get("/public/record?lang=fr").get_data(as_text=True)
    assert 'href="/public/statistics?lang=fr"' in page
