def test_security_headers_on_api_responses(client):
    headers = client.get("/healthz").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


def test_security_headers_on_errors(client):
    headers = client.get("/api/v1/nope").headers
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_docs_page_may_run_its_own_scripts_only(client):
    csp = client.get("/api/v1/docs").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "http" not in csp


def test_request_id_is_echoed_or_made(client):
    echoed = client.get("/healthz", headers={"X-Request-ID": "phone-1234-abcd"}).headers["X-Request-ID"]
    assert echoed == "phone-1234-abcd"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert made and " " not in made


def test_cors_closed_by_default(client):
    response = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_open_to_configured_origins(make_app):
    client = make_app(CORS_ORIGINS=["https://map.xingtai.example"]).test_client()
    allowed = client.get("/api/v1/openapi.json", headers={"Origin": "https://map.xingtai.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://map.xingtai.example"
    other = client.get("/api/v1/openapi.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_hsts_when_configured(make_app):
    client = make_app(HSTS_SECONDS=31536000).test_client()
    assert client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_json_speaks_chinese_unescaped(client, make_user, auth_headers):
    response = client.get("/api/v1/regions/130502", headers=auth_headers(make_user()))
    assert "襄都区" in response.get_data(as_text=True)
