"""The demo page, the API page and a team's own SPA: which one a configuration serves.

``BFF_DEMO_ENABLED`` and ``BFF_API_DOCS_ENABLED`` default to on in local mode and off in
production; ``BFF_SPA_DIR`` serves a built SPA folder at ``/`` (bff/spa.py) with the
history-API fallback, never over the BFF's own paths, nothing outside the folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from bff.app import create_app
from bff.config import ConfigError
from bff.spa import IMMUTABLE, REVALIDATE, SPA_CSP, is_hashed
from local_cognito import LocalCognitoInfo
from tests.demo.demo_support import local_settings, production_settings

HASHED_JS = "assets/index-4f3a9c1b.js"


@pytest.fixture
def make_app() -> Iterator[Callable[[dict[str, Any]], Flask]]:
    built: list[Flask] = []

    def build(config: dict[str, Any]) -> Flask:
        app = create_app(config)
        built.append(app)
        return app

    yield build
    for app in built:
        app.extensions["bff"]["store"].close()


def built_spa(folder: Path) -> Path:
    """What `npm run build` writes, plus what must never be served."""
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(
        '<!doctype html><title>team SPA</title><script type="module" src="/'
        + HASHED_JS
        + '"></script><div id="root"></div>'
    )
    (folder / HASHED_JS).write_text("console.log('team SPA');")
    (folder / "robots.txt").write_text("User-agent: *\n")
    (folder / ".env").write_text("SECRET=never-served\n")
    return folder


def fetch(client: Any, path: str, method: str = "GET", **options: Any) -> Any:
    """The response, read and closed (a served file's handle is not left to the GC)."""
    with client.open(path, method=method, **options) as response:
        response.get_data()
    return response


@pytest.fixture
def spa_dir(tmp_path: Path) -> Path:
    return built_spa(tmp_path / "dist")


@pytest.mark.parametrize(
    ("settings", "demo", "docs"),
    [
        ({}, True, True),
        ({"BFF_DEMO_ENABLED": "false"}, False, True),
        ({"BFF_API_DOCS_ENABLED": "0"}, True, False),
    ],
)
def test_local_mode_serves_the_demo_and_the_api_page_unless_switched_off(
    make_app: Any,
    local_cognito: LocalCognitoInfo,
    tmp_path: Path,
    settings: dict[str, str],
    demo: bool,
    docs: bool,
) -> None:
    client = make_app(local_settings(local_cognito, tmp_path, **settings)).test_client()

    assert fetch(client, "/").status_code == (200 if demo else 404)
    assert fetch(client, "/demo/app.js").status_code == (200 if demo else 404)
    assert fetch(client, "/docs").status_code == (200 if docs else 404)
    assert fetch(client, "/docs/docs.js").status_code == (200 if docs else 404)
    # The contract is always published; the local outbox is the API's, not the page's.
    assert fetch(client, "/api/openapi.json").status_code == 200
    assert fetch(client, "/api/local/outbox").status_code == 200


def test_production_serves_neither_page_unless_asked(
    make_app: Any, local_cognito: LocalCognitoInfo, tmp_path: Path
) -> None:
    quiet = make_app(production_settings(local_cognito, tmp_path / "a")).test_client()
    for path in ("/", "/demo/app.js", "/docs", "/docs/docs.js"):
        response = fetch(quiet, path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert fetch(quiet, "/api/openapi.json").status_code == 200

    asked = production_settings(local_cognito, tmp_path / "b")
    asked.update(BFF_DEMO_ENABLED="true", BFF_API_DOCS_ENABLED="true")
    loud = make_app(asked).test_client()
    assert fetch(loud, "/").status_code == 200
    assert fetch(loud, "/docs").status_code == 200


def test_a_spa_folder_turns_the_demo_off_and_refuses_both_at_once(
    make_app: Any, local_cognito: LocalCognitoInfo, tmp_path: Path, spa_dir: Path
) -> None:
    client = make_app(
        local_settings(local_cognito, tmp_path / "a", BFF_SPA_DIR=str(spa_dir))
    ).test_client()
    assert b"team SPA" in fetch(client, "/").data
    assert fetch(client, "/demo/app.js").status_code == 404

    with pytest.raises(ConfigError, match="BFF_DEMO_ENABLED and BFF_SPA_DIR both serve /"):
        create_app(
            local_settings(
                local_cognito, tmp_path / "b", BFF_SPA_DIR=str(spa_dir), BFF_DEMO_ENABLED="1"
            )
        )
    with pytest.raises(ConfigError, match=r"BFF_SPA_DIR .*nowhere has no index.html"):
        create_app(
            local_settings(local_cognito, tmp_path / "c", BFF_SPA_DIR=str(tmp_path / "nowhere"))
        )


@pytest.fixture
def spa_client(
    make_app: Any, local_cognito: LocalCognitoInfo, tmp_path: Path, spa_dir: Path
) -> Any:
    return make_app(
        production_settings(local_cognito, tmp_path / "instance") | {"BFF_SPA_DIR": str(spa_dir)}
    ).test_client()


def test_spa_files_with_the_right_cache_control(spa_client: Any) -> None:
    index = fetch(spa_client, "/")
    assert index.status_code == 200
    assert index.mimetype == "text/html"
    assert index.headers["Cache-Control"] == REVALIDATE
    assert index.headers["Content-Security-Policy"] == SPA_CSP
    assert index.headers["ETag"]
    # no-cache means "revalidate": the ETag answers 304 until a deploy changes the file
    again = fetch(spa_client, "/", headers={"If-None-Match": index.headers["ETag"]})
    assert again.status_code == 304

    asset = fetch(spa_client, "/" + HASHED_JS)
    assert asset.status_code == 200
    assert asset.mimetype == "text/javascript"
    assert asset.headers["Cache-Control"] == IMMUTABLE
    assert fetch(spa_client, "/robots.txt").headers["Cache-Control"] == REVALIDATE
    assert fetch(spa_client, "/" + HASHED_JS, "HEAD").status_code == 200


@pytest.mark.parametrize("path", ["/account", "/account/devices", "/sign-in/mfa?next=%2F"])
def test_history_fallback_answers_the_spa_routes_with_index_html(
    spa_client: Any, path: str
) -> None:
    response = fetch(spa_client, path)
    assert response.status_code == 200
    assert b"team SPA" in response.data
    assert response.headers["Cache-Control"] == REVALIDATE


@pytest.mark.parametrize(
    "path",
    [
        "/missing.js",  # a missing asset is a 404, never the page
        "/assets/index-00000000.css",
        "/.env",  # dotfiles are never served
        "/assets/../.env",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        "/assets/..%5c..%5cetc%5cpasswd",
        "//etc/passwd",
    ],
)
def test_nothing_outside_the_folder_and_no_missing_asset(spa_client: Any, path: str) -> None:
    response = fetch(spa_client, path)
    assert b"never-served" not in response.data
    assert b"root:" not in response.data
    if response.status_code == 200:  # "//etc/passwd" is a page of the SPA's router at most
        assert b"team SPA" in response.data
    else:
        assert response.status_code == 404


def test_a_symlink_out_of_the_folder_is_not_followed(
    make_app: Any, local_cognito: LocalCognitoInfo, tmp_path: Path, spa_dir: Path
) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("outside the folder")
    os.symlink(secret, spa_dir / "assets" / "link-4f3a9c1b.txt")
    client = make_app(
        production_settings(local_cognito, tmp_path / "i") | {"BFF_SPA_DIR": str(spa_dir)}
    ).test_client()

    assert fetch(client, "/assets/link-4f3a9c1b.txt").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/no-such-route", 404, "not_found"),
        ("GET", "/api", 404, "not_found"),
        ("POST", "/api/no-such-route", 404, "not_found"),
        ("GET", "/api/sign-in", 405, "method_not_allowed"),
        ("GET", "/metrics", 404, "not_found"),  # off in production, and not the SPA's
        ("GET", "/docs", 404, "not_found"),
        ("GET", "/demo/app.js", 404, "not_found"),
    ],
)
def test_the_bff_paths_are_never_shadowed(
    spa_client: Any, method: str, path: str, status: int, code: str
) -> None:
    response = fetch(spa_client, path, method, headers={"X-CSRF": "1"})
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert fetch(spa_client, "/healthz").get_json() == {"status": "ok"}
    assert fetch(spa_client, "/api/flow").get_json() == {"flow": None}


def test_only_get_and_head_reach_the_spa(spa_client: Any) -> None:
    response = fetch(spa_client, "/account", "POST", headers={"X-CSRF": "1"})
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("name", "hashed"),
    [
        ("assets/index-4f3a9c1b.js", True),
        ("static/js/main.3f2a1b9c.chunk.js", False),  # the hash is not the last token
        ("static/js/main.3f2a1b9c.js", True),
        ("assets/index-BdH3xZ7k.css", True),
        ("index.html", False),
        ("my-component.js", False),  # a word, not a hash
        ("logo-20241231.png", False),  # digits alone: a date, not a hash
        ("favicon.ico", False),
    ],
)
def test_which_names_carry_a_content_hash(name: str, hashed: bool) -> None:
    assert is_hashed(name) is hashed
