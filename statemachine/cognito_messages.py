"""What a Cognito NotAuthorizedException means, told apart by its message.

Cognito answers several different situations with the one error code
``NotAuthorizedException`` and tells them apart only in the message (Cognito API reference,
InitiateAuth / RespondToAuthChallenge / GetUser "Errors"; the wording below is Cognito's).
Each fragment is written here once. Two readers share it: the lifecycle's outcome mapping
(``statemachine.outcomes``: which trigger fires) and the gateway's error translation
(``bff.cognito.error_translation``: which error the client gets). The error keeps Cognito's
own code and message, so the outcome mapping reads the message Cognito actually sent.

Pure: no Flask, no boto3.
"""

from __future__ import annotations

from typing import Final

#: The challenge session (3 minutes) ran out.
SESSION_EXPIRED: Final = "session_expired"
#: The temporary password of an invited user outlived TemporaryPasswordValidityDays.
TEMPORARY_PASSWORD_EXPIRED: Final = "temporary_password_expired"
#: Too many wrong passwords: the user is locked out for a while.
ATTEMPTS_EXCEEDED: Final = "attempts_exceeded"
#: The refresh token expired or was revoked (REFRESH_TOKEN_AUTH).
REFRESH_TOKEN_REJECTED: Final = "refresh_token_rejected"
#: The access token expired, was revoked (GlobalSignOut, RevokeToken) or is not valid.
ACCESS_TOKEN_REJECTED: Final = "access_token_rejected"

#: (fragment, reason): the first fragment found in the message (case-insensitive) decides.
NOT_AUTHORIZED_FRAGMENTS: Final[tuple[tuple[str, str], ...]] = (
    # "Invalid session for the user, session is expired."
    ("session is expired", SESSION_EXPIRED),
    # "Temporary password has expired and must be reset by an administrator."
    ("temporary password has expired", TEMPORARY_PASSWORD_EXPIRED),
    # "Password attempts exceeded"
    ("password attempts exceeded", ATTEMPTS_EXCEEDED),
    # "Refresh Token has expired", "Refresh Token has been revoked", "Invalid Refresh Token"
    ("refresh token", REFRESH_TOKEN_REJECTED),
    # "Access Token has expired", "Access Token has been revoked", "Invalid Access Token"
    ("access token", ACCESS_TOKEN_REJECTED),
)


def not_authorized_reason(message: str | None) -> str | None:
    """The reason a NotAuthorizedException's ``message`` names, or None (a wrong password,
    or a message this project does not tell apart)."""
    lowered = (message or "").lower()
    for fragment, reason in NOT_AUTHORIZED_FRAGMENTS:
        if fragment in lowered:
            return reason
    return None
