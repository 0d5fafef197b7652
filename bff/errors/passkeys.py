"""Cognito's refusals of a passkey (registration, listing, deletion) as the project's
errors (bff.cognito.error_translation maps Cognito's WebAuthn error codes onto them)."""

from __future__ import annotations

from bff.errors.cognito import CognitoError


class PasskeysNotAvailable(CognitoError):
    """The user pool offers no passkeys: its feature plan is Lite, or it has no relying
    party (WebAuthnNotEnabledException, WebAuthnConfigurationMissingException,
    FeatureUnavailableInTierException)."""

    code = "passkeys_not_available"
    status = 409
    default_message = "Passkeys are not enabled for this user pool."


class PasskeyChallengeExpired(CognitoError):
    """The passkey registration was never started, has expired, or was already completed
    (WebAuthnChallengeNotFoundException): start it again."""

    code = "passkey_challenge_expired"
    status = 400
    default_message = "The passkey registration has expired. Start it again."


class PasskeyRejected(CognitoError):
    """Cognito refused the passkey the browser created: for another relying party or
    origin, started by another app client, or from an unsupported authenticator
    (``details.cognito_code`` says which)."""

    code = "passkey_rejected"
    status = 400
    default_message = "The passkey was refused."


class PasskeyNotFound(CognitoError):
    """``DELETE /api/account/passkeys/{id}`` for a passkey the user does not have."""

    code = "passkey_not_found"
    status = 404
    default_message = "No such passkey for this user."
