"""GET /api/v1/ names every entry point, and each one answers a GET."""

import pytest

pytestmark = pytest.mark.django_db

PRIVATE = {"plans", "reminder_preferences"}  # a member's own data


def test_the_index_lists_the_entry_points_and_the_docs(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert list(body["entry_points"]) == [
        "concepts", "edges", "tracks", "teams", "stages", "backgrounds", "questions",
        "resources", "plans", "reminder_preferences",
    ]  # fmt: skip
    for entry in body["entry_points"].values():
        assert entry["url"].startswith("http://testserver/api/v1/")
        assert entry["about"]
    assert body["docs"] == {
        "openapi": "http://testserver/api/schema/",
        "swagger_ui": "http://testserver/api/schema/swagger-ui/",
        "redoc": "http://testserver/api/schema/redoc/",
    }


def test_every_entry_point_answers_a_visitor(client, small):
    entries = client.get("/api/v1/").json()["entry_points"]
    for name, entry in entries.items():
        response = client.get(entry["url"])
        if name in PRIVATE:
            assert response.status_code == 401, name
            assert response["WWW-Authenticate"] == "Token", name
        else:
            assert response.status_code == 200, name
            assert response.json()["count"] > 0 or name == "backgrounds", name


def test_every_entry_point_answers_a_member(client, small, ada):
    client.force_login(ada)
    entries = client.get("/api/v1/").json()["entry_points"]
    for name, entry in entries.items():
        assert client.get(entry["url"]).status_code == 200, name


def test_the_docs_answer(client):
    docs = client.get("/api/v1/").json()["docs"]
    for url in docs.values():
        assert client.get(url).status_code == 200, url
