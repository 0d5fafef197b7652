"""The local-API example of docs/apis.md (kept identical to it: a test compares them)."""

import hashlib

from flask import Blueprint

from bff.relay import SignedInUser, local_api

notes = Blueprint("team_notes", __name__, url_prefix="/api/local")


@notes.get("/whoami")
@local_api
def whoami(user: SignedInUser) -> dict[str, str]:
    # user.access_token is fresh: call another API with it; never send it to the browser.
    digest = hashlib.sha256(user.access_token.encode()).hexdigest()[:16]
    return {"email": user.claims["email"], "token_digest": digest}


@notes.post("/notes/<note_id>")
@local_api
def touch_note(user: SignedInUser, note_id: str) -> dict[str, str]:
    return {"note": note_id, "owner": user.claims["sub"]}
