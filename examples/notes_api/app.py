"""The notes API: a resource server that trusts Cognito access tokens and nothing else.

Routes (every one but ``/healthz`` needs ``Authorization: Bearer <access token>``):

- ``GET /notes`` → 200 ``{"notes": [{id, text, created_at}, ...]}``, the caller's, oldest
  first;
- ``POST /notes {"text": "..."}`` → 201, the note, with ``Location``;
- ``DELETE /notes/<id>`` → 204; another user's note or an unknown id → 404;
- ``GET /healthz`` → 200 ``{"status": "ok"}`` (no token: for whoever starts the process).

Notes are keyed by the token's ``sub`` and kept in memory: a restart forgets them. Errors
have the BFF's shape, ``{"error": {"code", "message", "details"}}``; a missing or bad token
is 401 with ``WWW-Authenticate: Bearer`` (RFC 6750 section 3), a JWKS that cannot be read
is 503 with ``Retry-After``.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .verify import AccessToken, AccessTokenVerifier, InvalidToken, KeysUnavailable

REALM = "notes"
MAX_TEXT = 2000
MAX_NOTES_PER_USER = 200
MAX_BODY = 16 * 1024


@dataclass(frozen=True)
class Note:
    id: str
    text: str
    created_at: str


class NoteStore:
    """Each user's notes, in memory, safe across the server's threads."""

    def __init__(self) -> None:
        self._notes: dict[str, dict[str, Note]] = {}
        self._lock = threading.Lock()

    def list(self, sub: str) -> list[Note]:
        with self._lock:
            return list(self._notes.get(sub, {}).values())

    def add(self, sub: str, text: str) -> Note:
        note = Note(
            id=secrets.token_hex(8),
            text=text,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._lock:
            notes = self._notes.setdefault(sub, {})
            if len(notes) >= MAX_NOTES_PER_USER:
                raise ApiError(409, "too_many_notes", f"at most {MAX_NOTES_PER_USER} notes")
            notes[note.id] = note
        return note

    def delete(self, sub: str, note_id: str) -> bool:
        with self._lock:
            return self._notes.get(sub, {}).pop(note_id, None) is not None


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": {}}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _unauthorized(description: str | None) -> ApiError:
    """401 with the challenge RFC 6750 asks for: no error code when no token was sent."""
    if description is None:
        return ApiError(
            401, "unauthorized", "an access token is required", {"WWW-Authenticate": _bearer()}
        )
    challenge = _bearer(error="invalid_token", error_description=description)
    return ApiError(401, "invalid_token", description, {"WWW-Authenticate": challenge})


def _bearer(**params: str) -> str:
    quoted = "".join(f', {name}="{value}"' for name, value in params.items())
    return f'Bearer realm="{REALM}"{quoted}'


def authenticate(verifier: AccessTokenVerifier) -> AccessToken:
    """The request's verified access token; raises the 401 (or 503) to answer instead."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized(None)
    try:
        return verifier.verify(token.strip())
    except InvalidToken as exc:
        raise _unauthorized(str(exc)) from exc
    except KeysUnavailable as exc:
        retry = str(verifier.keys.seconds_until_refetch())
        raise ApiError(
            503,
            "keys_unavailable",
            "the pool's signing keys cannot be read now",
            {"Retry-After": retry},
        ) from exc


def _note_text() -> str:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send JSON (Content-Type: application/json)")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != {"text"}:
        raise ApiError(400, "invalid_body", 'the body must be {"text": "..."}')
    text = body["text"]
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise ApiError(400, "invalid_text", f"text must be 1 to {MAX_TEXT} characters")
    return text


def create_app(
    issuer: str,
    client_id: str,
    *,
    verifier: AccessTokenVerifier | None = None,
    store: NoteStore | None = None,
) -> Flask:
    """The notes API's WSGI app for the pool ``issuer`` (its tokens' ``iss``, e.g.
    ``http://127.0.0.1:9229/eu-west-1_abc``) and the app client ``client_id``."""
    app = Flask("notes_api")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    verifier = verifier or AccessTokenVerifier(issuer, client_id)
    notes = store or NoteStore()
    app.extensions["notes_api"] = {"verifier": verifier, "store": notes}

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return _error(error.status, error.code, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
        code = (error.name or "error").lower().replace(" ", "_")
        return _error(error.code or 500, code, error.description or code, headers)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/notes", strict_slashes=False)
    def list_notes() -> Response:
        token = authenticate(verifier)
        return jsonify({"notes": [asdict(n) for n in notes.list(token.sub)]})

    @app.post("/notes", strict_slashes=False)
    def add_note() -> Response:
        token = authenticate(verifier)
        note = notes.add(token.sub, _note_text())
        response = jsonify(asdict(note))
        response.status_code = 201
        response.headers["Location"] = f"/notes/{note.id}"
        return response

    @app.delete("/notes/<note_id>", strict_slashes=False)
    def delete_note(note_id: str) -> Response:
        token = authenticate(verifier)
        if not notes.delete(token.sub, note_id):
            raise ApiError(404, "not_found", "no such note")
        return Response(status=204)

    return app
