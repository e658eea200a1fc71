"""The OpenAPI schema and the browsable docs integrators start from."""

import pytest

from testsupport.factories import PASSWORD, api

pytestmark = pytest.mark.django_db


def test_schema_lists_the_contract_endpoints(org):
    response = api(org["auditor"]).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/publications/", "/api/v1/publications/{id}/submit/",
                 "/api/v1/publications/{id}/withdraw/", "/api/v1/publications/{id}/trail/",
                 "/api/v1/tasks/", "/api/v1/tasks/{id}/approve/", "/api/v1/tasks/{id}/reject/",
                 "/api/v1/tasks/{id}/withhold/", "/api/v1/releases/", "/api/v1/channels/",
                 "/api/v1/categories/", "/api/v1/auth/token/"]:
        assert path in paths, path


def test_docs_page_loads_its_assets_locally(client, org):
    client.force_login(org["auditor"])
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html
    assert "/static/drf_spectacular_sidecar/" in html


def test_schema_and_docs_need_a_login(client):
    assert api().get("/api/schema/").status_code == 401
    response = client.get("/api/docs/")
    assert response.status_code == 302 and "login" in response.headers["Location"]


def test_front_door_leads_to_the_login_and_then_to_the_work(client, org):
    assert client.get("/").headers["Location"] == "/app/"
    assert client.get("/app/").headers["Location"].startswith("/app/login/")
    assert client.get("/app/login/").status_code == 200
    response = client.post("/app/login/", {"username": org["drafter_office"].username,
                                           "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/app/"
    assert client.get("/api/v1/publications/", HTTP_ACCEPT="application/json").status_code == 200
