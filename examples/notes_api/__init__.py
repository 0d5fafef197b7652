"""An example resource server: per-user notes behind Cognito access tokens.

It verifies tokens the way a real API must (``verify.py``: the pool's JWKS, RS256 only,
``iss``, ``token_use``, ``client_id``, ``exp``) and runs in its own process:

    python -m examples.notes_api --port 8081 --issuer URL --client-id ID

``create_app(issuer, client_id)`` builds the same WSGI app for tests or another server;
``serve(...)`` runs it on a werkzeug server in a thread of the caller's process.
"""

from .app import Note, NoteStore, create_app
from .server import NotesServer, serve
from .verify import AccessToken, AccessTokenVerifier, InvalidToken, JwksCache, KeysUnavailable

__all__ = [
    "AccessToken",
    "AccessTokenVerifier",
    "InvalidToken",
    "JwksCache",
    "KeysUnavailable",
    "Note",
    "NoteStore",
    "NotesServer",
    "create_app",
    "serve",
]
