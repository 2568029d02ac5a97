def test_login_and_me(client, make_user):
    make_user("admin", "130500", username="boss")
    response = client.post("/api/v1/auth/login", json={"username": "boss", "password": "correct-horse-battery"})
    assert response.status_code == 200, response.get_json()
    token = response.get_json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["username"] == "boss"
