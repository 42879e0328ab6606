"""The console's files on the local stack without the stack: the build's files only, each with
the console's security headers, its config, and a page saying how to build it when missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.test import Client

from devstack import console_site
from devstack.gateway import ApiGateway

API_BASE = "http://127.0.0.1:3000"
ISSUER = f"{API_BASE}/local-idp"


def site(dist: Path) -> Client:
    endpoints = console_site.endpoints(console_site.config(API_BASE, ISSUER), dist)
    return Client(ApiGateway([], lambda *_: None, endpoints))


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>console</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "assets" / "notes.txt").write_text("not a type the console serves")
    return tmp_path


def test_the_console_and_its_assets_are_served_with_its_security_headers(dist: Path) -> None:
    client = site(dist)

    for path, kind in [
        ("/console/", "text/html; charset=utf-8"),
        ("/console/assets/index-abc123.js", "text/javascript; charset=utf-8"),
        ("/console/config.json", "application/json"),
    ]:
        answer = client.get(path)
        assert (answer.status_code, answer.headers["Content-Type"]) == (200, kind), path
        assert answer.headers["Content-Security-Policy"] == console_site.CONTENT_SECURITY_POLICY
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_the_config_names_the_same_origin_api_the_demo_campaign_and_the_local_idp(
    dist: Path,
) -> None:
    assert site(dist).get("/console/config.json").json == {
        "apiBase": "",
        "handle": "acme",
        "campaignId": "cmp_welcome",
        "oidc": {
            "authority": ISSUER,
            "clientId": "tenx-console-local",
            "redirectUri": f"{API_BASE}/console/",
            "scope": "openid",
        },
    }


@pytest.mark.parametrize(
    "path",
    [
        "/console/assets/notes.txt",
        "/console/assets/missing.js",
        "/console/assets/.hidden.js",
        "/console/.hidden.html",
    ],
)
def test_nothing_but_the_builds_files_is_served(dist: Path, path: str) -> None:
    (dist / "assets" / ".hidden.js").write_text("hidden")
    (dist / ".hidden.html").write_text("hidden")

    answer = site(dist).get(path)

    assert answer.status_code == 404
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/console/assets/..%2Findex.html", "/console/..%2Fstack.json"])
def test_a_path_leaving_the_build_reaches_no_console_file(dist: Path, path: str) -> None:
    (dist.parent / "stack.json").write_text("secret")

    answer = site(dist).get(path)

    # Not a console path (a {name} is one segment): the API's missing-route answer.
    assert answer.status_code == 404
    assert "route_not_found" in answer.text
    assert "secret" not in answer.text


def test_console_without_its_slash_is_redirected(dist: Path) -> None:
    answer = site(dist).get("/console")

    assert (answer.status_code, answer.headers["Location"]) == (308, "/console/")


def test_an_unbuilt_console_says_to_run_make_console(tmp_path: Path) -> None:
    answer = site(tmp_path / "dist").get("/console/")

    assert answer.status_code == 503
    assert "make console" in answer.text
