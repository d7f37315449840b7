from tests.api.conftest import complete_fields


def test_smoke(world, client):
    focal = world.account("state_focal_point", state="FJI")
    r = client.post("/api/v1/cases", json={"type": "upr_fund", **complete_fields()}, headers=focal.auth)
    assert r.status_code == 201, r.get_json()
    ref = r.get_json()["reference"]
    r = client.get(f"/api/v1/cases/{ref}/transitions", headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    print(r.get_json())
    r = client.post(f"/api/v1/cases/{ref}/transitions", json={"trigger": "submit"}, headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    r = client.get("/api/v1/cases", headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["total"] == 1
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    reviewer = world.account("reviewer")
    c2 = world.app.test_client()
    data = world.login(c2, reviewer)
    r = c2.post(f"/api/v1/cases/{ref}/comments", json={"body": "hi", "visibility": "internal"})
    assert r.status_code == 403, r.get_json()
    r = c2.post(f"/api/v1/cases/{ref}/comments", json={"body": "hi", "visibility": "internal"},
                headers={"X-CSRFToken": data["csrf_token"]})
    assert r.status_code == 201, r.get_json()
    r = c2.get(f"/api/v1/cases/{ref}/events")
    assert r.status_code == 200, r.get_json()
    r = client.get(f"/api/v1/cases/{ref}/events", headers=focal.auth)
    print(r.get_json())
    r = c2.get("/api/v1/audit/verify")
    assert r.status_code == 403
