"""The application factory starts on the configured database and answers its root routes."""

from config import load_config
from tacase.web import create_app


def test_app_answers(migrated_db):
    config = load_config("testing", environ={"TACASE_DATABASE_URL": migrated_db})
    app = create_app(config)
    client = app.test_client()
    index = client.get("/api/v1").get_json()
    assert {t["type"] for t in index["request_types"]} == {
        "advisory", "tc_project", "upr_fund", "hra_deployment", "capacity_building"}
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/").headers["Location"] == "/sign-in?next=/"  # the web pages ask who you are
    app.extensions["tacase"]["engine"].dispose()
