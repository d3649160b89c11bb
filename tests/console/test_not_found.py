"""An unknown URL gets the console's styled error page; the API's unknown URLs keep their JSON errors."""


def test_an_unknown_url_gets_the_console_page(as_user, app):
    signed_in = as_user("operator@ncert.test").get("/no/such/page")
    assert signed_in.status_code == 404
    page = signed_in.get_data(as_text=True)
    assert "There is no page at /no/such/page." in page and "console.css" in page  # styled, not the bare page
    assert "Back to the queue" in page and "<title>404 Not found" in page
    anonymous = app.test_client().get("/nowhere")
    assert anonymous.status_code == 404 and "There is no page at /nowhere." in anonymous.get_data(as_text=True)
    assert anonymous.headers["X-Frame-Options"] == "DENY"


def test_api_paths_keep_json_errors(app):
    response = app.test_client().get("/api/v1/no-such-endpoint")
    assert response.status_code == 404 and response.is_json and set(response.json) >= {"error", "detail"}
