"""Passkeys in the local Cognito: registration, the credential list, and the checks of a
sign-in assertion, verified for real with py_webauthn (the ``webauthn`` package).

Why py_webauthn rather than Yubico's ``fido2``: it is a relying-party library only, its
inputs and outputs are exactly the JSON shapes Cognito's API carries
(PublicKeyCredentialCreationOptionsJSON out of StartWebAuthnRegistration,
RegistrationResponseJSON into CompleteWebAuthnRegistration, AuthenticationResponseJSON as
the WEB_AUTHN answer), it verifies every attestation format a browser sends and the
assertion's signature, and it is typed (py.typed). ``fido2`` also carries the client and
CTAP device side, which the local Cognito does not need.

What Cognito documents (API reference: StartWebAuthnRegistration,
CompleteWebAuthnRegistration, ListWebAuthnCredentials, DeleteWebAuthnCredential,
SetUserPoolMfaConfig "WebAuthnConfiguration", WebAuthnConfigurationType, the exceptions'
descriptions in botocore's cognito-idp model):

- the four actions take the signed-in user's access token; the list pages by
  ``MaxResults`` (0-20) and ``NextToken``; each credential is described by
  ``CredentialId``, ``FriendlyCredentialName``, ``RelyingPartyId``,
  ``AuthenticatorAttachment`` (optional), ``AuthenticatorTransports`` and ``CreatedAt``;
- the pool's ``WebAuthnConfiguration`` has ``RelyingPartyId`` and ``UserVerification``
  (``required`` or ``preferred``); passkeys need the Essentials or Plus feature plan
  (``UserPoolTier``), and configuring them on Lite is ``FeatureUnavailableInTierException``;
- the errors: ``WebAuthnNotEnabledException`` (passkeys not enabled for the pool),
  ``WebAuthnConfigurationMissingException`` (no relying party id),
  ``WebAuthnChallengeNotFoundException`` (the registration's challenge expired),
  ``WebAuthnRelyingPartyMismatchException`` (the credential is for another relying party),
  ``WebAuthnOriginNotAllowedException`` (the origin does not match the relying party id),
  ``WebAuthnClientMismatchException`` (another app client started the registration),
  ``WebAuthnCredentialNotSupportedException`` (an unsupported device or provider).

The local Cognito's own choices, where Cognito documents nothing: the messages of those
errors (the descriptions above, shortened); a registration's challenge lives
``CHALLENGE_TTL`` seconds of the local clock and is single-use; a user holds at most
``MAX_PASSKEYS`` passkeys (``LimitExceededException`` beyond); an origin is allowed when
its host is the relying party id or a subdomain of it, over https (http only for
``localhost``, as browsers allow); a pool with no ``WebAuthnConfiguration`` set has no
relying party (``WebAuthnConfigurationMissingException``: the local pools have no domain
to fall back to); the friendly name says which kind of authenticator it is and when it was
registered. A failed assertion at sign-in is ``NotAuthorizedException`` (the only refusal
RespondToAuthChallenge lists that fits); its message names what failed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, NotRequired, TypedDict
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from statemachine.challenges import FACTORS, WEB_AUTHN

from . import choice
from . import errors as e

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, CognitoIdpUserPoolClient

    from .fidelity import Answer, LocalCognitoBackend

#: The feature plans that have passkeys (UserPoolTierType; Lite has none).
PASSKEY_TIERS: Final = ("ESSENTIALS", "PLUS")
USER_VERIFICATION: Final = ("required", "preferred")
#: Seconds a registration's (or a sign-in's) challenge stays valid, and the browser's
#: timeout (in milliseconds) the options carry.
CHALLENGE_TTL: Final = 180
MAX_PASSKEYS: Final = 20
MAX_RESULTS: Final = 20
#: The relying party the local pools start with: the host chromium accepts for a page on
#: http (an IP address such as 127.0.0.1 is never a valid relying party id).
LOCAL_RELYING_PARTY_ID: Final = "localhost"

NOT_ENABLED = "Passkeys are not enabled for this user pool."
CONFIGURATION_MISSING = "The user pool has no relying party id configured for passkeys."
CHALLENGE_NOT_FOUND = "The passkey registration challenge was not found or has expired."
RELYING_PARTY_MISMATCH = "The passkey credential is for another relying party."
ORIGIN_NOT_ALLOWED = "The passkey credential's origin does not match the relying party id."
CLIENT_MISMATCH = "The passkey registration was started by another app client."
NOT_SUPPORTED = "The passkey credential is not supported."
TOO_MANY = "The user has the maximum number of passkeys."
CREDENTIAL_NOT_FOUND = "Credential not found."
INVALID_NEXT_TOKEN = "Invalid NextToken."
TIER_UNAVAILABLE = "Passkeys are not available in the LITE feature plan."


class WebAuthnNotEnabled(e.CognitoError):
    error_code = "WebAuthnNotEnabledException"


class WebAuthnConfigurationMissing(e.CognitoError):
    error_code = "WebAuthnConfigurationMissingException"


class WebAuthnChallengeNotFound(e.CognitoError):
    error_code = "WebAuthnChallengeNotFoundException"


class WebAuthnRelyingPartyMismatch(e.CognitoError):
    error_code = "WebAuthnRelyingPartyMismatchException"


class WebAuthnOriginNotAllowed(e.CognitoError):
    error_code = "WebAuthnOriginNotAllowedException"


class WebAuthnClientMismatch(e.CognitoError):
    error_code = "WebAuthnClientMismatchException"


class WebAuthnCredentialNotSupported(e.CognitoError):
    error_code = "WebAuthnCredentialNotSupportedException"


class PoolSettings(TypedDict):
    """A pool's WebAuthnConfiguration, as SetUserPoolMfaConfig took it."""

    RelyingPartyId: NotRequired[str]
    UserVerification: str


class StoredPasskey(TypedDict):
    """One registered passkey: what verifying its assertions needs, and its description."""

    credential_id: str  # base64url, as the browser names it
    public_key: bytes  # COSE_Key
    sign_count: int
    relying_party_id: str
    transports: list[str]
    attachment: str | None
    created_at: float
    name: str


class PendingRegistration(TypedDict):
    """A StartWebAuthnRegistration awaiting its CompleteWebAuthnRegistration."""

    challenge: str  # base64url
    client_id: str
    relying_party_id: str
    user_verification: str
    expires_at: float


@dataclass(frozen=True)
class Assertion:
    """What a WEB_AUTHN challenge asked: its challenge, relying party and verification."""

    challenge: str
    relying_party_id: str
    user_verification: str


def _raw(value: Any) -> str:
    return str(getattr(value, "value", value))


def settings(backend: LocalCognitoBackend, pool: CognitoIdpUserPool) -> PoolSettings | None:
    return backend.webauthn_settings.get(pool.id)


def checked_configuration(
    pool: CognitoIdpUserPool, configuration: dict[str, Any] | None
) -> PoolSettings | None:
    """SetUserPoolMfaConfig's ``WebAuthnConfiguration``, checked before anything changes."""
    if configuration is None:
        return None
    if not isinstance(configuration, dict):
        raise e.InvalidParameter("WebAuthnConfiguration must be an object.")
    if choice.pool_tier(pool) not in PASSKEY_TIERS:
        raise e.FeatureUnavailableInTier(TIER_UNAVAILABLE)
    checked: PoolSettings = {
        "UserVerification": str(configuration.get("UserVerification") or "preferred")
    }
    if checked["UserVerification"] not in USER_VERIFICATION:
        raise e.InvalidParameter(
            "1 validation error detected: Value at 'webAuthnConfiguration.userVerification' "
            "failed to satisfy constraint: Member must satisfy enum value set: "
            "[required, preferred]"
        )
    party = configuration.get("RelyingPartyId")
    if party is not None:
        if not isinstance(party, str) or not 1 <= len(party) <= 127:
            raise e.InvalidParameter("RelyingPartyId must be 1 to 127 characters.")
        checked["RelyingPartyId"] = party
    return checked


def configure(backend: LocalCognitoBackend, pool_id: str, checked: PoolSettings) -> None:
    backend.webauthn_settings[pool_id] = checked


def template_settings(create_config: dict[str, Any]) -> dict[str, Any]:
    """The template's passkey properties of the pool (AWS::Cognito::UserPool
    ``WebAuthnRelyingPartyID``, ``WebAuthnUserVerification``), taken out of CreateUserPool's
    body: CloudFormation applies them as SetUserPoolMfaConfig's WebAuthnConfiguration."""
    found: dict[str, Any] = {}
    if "WebAuthnRelyingPartyID" in create_config:
        found["RelyingPartyId"] = create_config.pop("WebAuthnRelyingPartyID")
    if "WebAuthnUserVerification" in create_config:
        found["UserVerification"] = create_config.pop("WebAuthnUserVerification")
    return found


def provision(
    backend: LocalCognitoBackend, pool: CognitoIdpUserPool, template: dict[str, Any]
) -> None:
    """A new local pool's passkey settings: the template's, else ``localhost`` as the
    relying party (the demo's host); none on the Lite plan."""
    if choice.pool_tier(pool) not in PASSKEY_TIERS:
        return
    wanted = {"RelyingPartyId": LOCAL_RELYING_PARTY_ID, **template}
    checked = checked_configuration(pool, wanted)
    if checked is not None:
        configure(backend, pool.id, checked)


def described(backend: LocalCognitoBackend, pool: CognitoIdpUserPool) -> dict[str, Any]:
    """GetUserPoolMfaConfig's ``WebAuthnConfiguration`` (nothing when never set)."""
    found = settings(backend, pool)
    return {"WebAuthnConfiguration": dict(found)} if found else {}


def _relying_party(backend: LocalCognitoBackend, pool: CognitoIdpUserPool) -> PoolSettings:
    if choice.pool_tier(pool) not in PASSKEY_TIERS:
        raise WebAuthnNotEnabled(NOT_ENABLED)
    found = settings(backend, pool)
    if found is None or not found.get("RelyingPartyId"):
        raise WebAuthnConfigurationMissing(CONFIGURATION_MISSING)
    return found


def passkeys(backend: LocalCognitoBackend, user: CognitoIdpUser) -> list[StoredPasskey]:
    return backend.webauthn_credentials.setdefault(user.id, [])


def _token_client(backend: LocalCognitoBackend, access_token: str) -> str:
    return str(backend._jwt_claims(access_token).get("client_id", ""))


def start_registration(backend: LocalCognitoBackend, access_token: str) -> dict[str, Any]:
    """StartWebAuthnRegistration: creation options for ``navigator.credentials.create``;
    the user's passkeys are excluded, so an authenticator is not registered twice."""
    pool, user = backend.user_from_access_token(access_token)
    party = _relying_party(backend, pool)
    rp_id = party["RelyingPartyId"]
    verification = party["UserVerification"]
    challenge = secrets.token_bytes(32)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_id,
        user_name=user.username,
        user_id=user.id.encode(),
        user_display_name=user.attribute_lookup.get("email") or user.username,
        challenge=challenge,
        timeout=CHALLENGE_TTL * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement(verification),
        ),
        exclude_credentials=[_descriptor(p) for p in passkeys(backend, user)],
    )
    backend.webauthn_registrations[user.id] = {
        "challenge": bytes_to_base64url(challenge),
        "client_id": _token_client(backend, access_token),
        "relying_party_id": rp_id,
        "user_verification": verification,
        "expires_at": backend.clock.now() + CHALLENGE_TTL,
    }
    created: dict[str, Any] = json.loads(options_to_json(options))
    return {"CredentialCreationOptions": created}


def _descriptor(passkey: StoredPasskey) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in passkey["transports"]:
        try:
            transports.append(AuthenticatorTransport(name))
        except ValueError:
            continue  # a transport this library does not name: the browser needs none
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey["credential_id"]), transports=transports or None
    )


def _client_data(encoded: bytes) -> tuple[str, str, str]:
    """The clientDataJSON's type, challenge (base64url) and origin."""
    try:
        data = parse_client_data_json(encoded)
    except (WebAuthnException, ValueError, TypeError) as exc:
        raise e.InvalidParameter("The credential's clientDataJSON is not valid.") from exc
    return _raw(data.type), bytes_to_base64url(data.challenge), data.origin


def check_origin(origin: str, rp_id: str) -> None:
    """The origin's host is the relying party id or a subdomain of it; https, or http on
    localhost (browsers' secure contexts)."""
    try:
        parts = urlsplit(origin)
        host = parts.hostname or ""
    except ValueError:
        raise WebAuthnOriginNotAllowed(ORIGIN_NOT_ALLOWED) from None
    secure = parts.scheme == "https" or (parts.scheme == "http" and host == "localhost")
    if not secure or not (host == rp_id or host.endswith("." + rp_id)):
        raise WebAuthnOriginNotAllowed(ORIGIN_NOT_ALLOWED)


def _parse_registration(credential: Any) -> RegistrationCredential:
    if isinstance(credential, str):
        try:
            credential = json.loads(credential)
        except ValueError:
            raise e.InvalidParameter("Credential is not a RegistrationResponseJSON.") from None
    if not isinstance(credential, dict):
        raise e.InvalidParameter("Credential is not a RegistrationResponseJSON.")
    try:
        return parse_registration_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise e.InvalidParameter("Credential is not a RegistrationResponseJSON.") from exc


def complete_registration(backend: LocalCognitoBackend, access_token: str, credential: Any) -> None:
    """CompleteWebAuthnRegistration: the attestation verified against the pending
    challenge, the pool's relying party and user verification; the public key kept."""
    pool, user = backend.user_from_access_token(access_token)
    _relying_party(backend, pool)
    parsed = _parse_registration(credential)
    pending = backend.webauthn_registrations.get(user.id)
    if pending is None or pending["expires_at"] <= backend.clock.now():
        backend.webauthn_registrations.pop(user.id, None)
        raise WebAuthnChallengeNotFound(CHALLENGE_NOT_FOUND)
    if pending["client_id"] != _token_client(backend, access_token):
        raise WebAuthnClientMismatch(CLIENT_MISMATCH)
    kind, challenge, origin = _client_data(parsed.response.client_data_json)
    if kind != "webauthn.create" or challenge != pending["challenge"]:
        raise WebAuthnChallengeNotFound(CHALLENGE_NOT_FOUND)
    rp_id = pending["relying_party_id"]
    check_origin(origin, rp_id)
    try:
        attestation = parse_attestation_object(parsed.response.attestation_object)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise e.InvalidParameter("The credential's attestationObject is not valid.") from exc
    if attestation.auth_data.rp_id_hash != hashlib.sha256(rp_id.encode()).digest():
        raise WebAuthnRelyingPartyMismatch(RELYING_PARTY_MISMATCH)
    stored = passkeys(backend, user)
    if len(stored) >= MAX_PASSKEYS:
        raise e.LimitExceeded(TOO_MANY)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(pending["challenge"]),
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=pending["user_verification"] == "required",
        )
    except WebAuthnException as exc:
        raise WebAuthnCredentialNotSupported(NOT_SUPPORTED) from exc
    # The challenge is spent whatever follows: a replayed response finds none.
    del backend.webauthn_registrations[user.id]
    credential_id = bytes_to_base64url(verified.credential_id)
    if any(p["credential_id"] == credential_id for p in _all_passkeys(backend)):
        raise e.InvalidParameter("This passkey is already registered.")
    now = backend.clock.now()
    attachment = _raw(parsed.authenticator_attachment) if parsed.authenticator_attachment else None
    stored.append(
        {
            "credential_id": credential_id,
            "public_key": verified.credential_public_key,
            "sign_count": verified.sign_count,
            "relying_party_id": rp_id,
            "transports": [_raw(t) for t in parsed.response.transports or []],
            "attachment": attachment,
            "created_at": now,
            "name": _friendly_name(attachment, now),
        }
    )


def _all_passkeys(backend: LocalCognitoBackend) -> list[StoredPasskey]:
    return [p for listed in backend.webauthn_credentials.values() for p in listed]


def _friendly_name(attachment: str | None, now: float) -> str:
    kind = {"platform": "This device's passkey", "cross-platform": "Security key"}.get(
        attachment or "", "Passkey"
    )
    return f"{kind}, {datetime.fromtimestamp(now, tz=UTC):%Y-%m-%d}"


def list_credentials(
    backend: LocalCognitoBackend,
    access_token: str,
    max_results: int | None,
    next_token: str | None,
) -> dict[str, Any]:
    """ListWebAuthnCredentials: one page, oldest first."""
    _, user = backend.user_from_access_token(access_token)
    if max_results is None:
        limit = MAX_RESULTS
    elif not isinstance(max_results, int) or not 0 <= max_results <= MAX_RESULTS:
        raise e.InvalidParameter(
            "1 validation error detected: Value at 'maxResults' failed to satisfy "
            "constraint: Member must have value less than or equal to 20"
        )
    else:
        limit = max_results or MAX_RESULTS
    start = _page_start(user.id, next_token)
    stored = passkeys(backend, user)
    page = stored[start : start + limit]
    answer: dict[str, Any] = {"Credentials": [_description(p) for p in page]}
    if start + limit < len(stored):
        answer["NextToken"] = _page_token(user.id, start + limit)
    return answer


def _page_token(user_id: str, offset: int) -> str:
    raw = json.dumps({"user": user_id, "offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _page_start(user_id: str, token: str | None) -> int:
    if token is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["offset"]
        if data["user"] != user_id or not isinstance(offset, int) or offset < 0:
            raise ValueError
    except (ValueError, TypeError, KeyError):
        raise e.InvalidParameter(INVALID_NEXT_TOKEN) from None
    return offset


def _description(passkey: StoredPasskey) -> dict[str, Any]:
    described: dict[str, Any] = {
        "CredentialId": passkey["credential_id"],
        "FriendlyCredentialName": passkey["name"],
        "RelyingPartyId": passkey["relying_party_id"],
        "AuthenticatorTransports": list(passkey["transports"]),
        "CreatedAt": datetime.fromtimestamp(passkey["created_at"], tz=UTC),
    }
    if passkey["attachment"]:
        described["AuthenticatorAttachment"] = passkey["attachment"]
    return described


def delete_credential(backend: LocalCognitoBackend, access_token: str, credential_id: str) -> None:
    """DeleteWebAuthnCredential: the passkey can no longer sign in."""
    _, user = backend.user_from_access_token(access_token)
    stored = passkeys(backend, user)
    kept = [p for p in stored if p["credential_id"] != credential_id]
    if len(kept) == len(stored):
        raise e.ResourceNotFound(CREDENTIAL_NOT_FOUND)
    stored[:] = kept


def can_sign_in(
    backend: LocalCognitoBackend, pool: CognitoIdpUserPool, user: CognitoIdpUser
) -> bool:
    """The user can be offered WEB_AUTHN: the pool has passkeys and the user has one for
    the pool's relying party."""
    try:
        party = _relying_party(backend, pool)
    except e.CognitoError:
        return False
    return any(
        p["relying_party_id"] == party.get("RelyingPartyId") for p in passkeys(backend, user)
    )


def request_options(
    backend: LocalCognitoBackend, pool: CognitoIdpUserPool, user: CognitoIdpUser
) -> tuple[Assertion, str]:
    """A sign-in's challenge and its ``CREDENTIAL_REQUEST_OPTIONS`` (a JSON string): the
    user's passkeys for the pool's relying party are the allowed credentials."""
    party = _relying_party(backend, pool)
    rp_id = party["RelyingPartyId"]
    verification = party["UserVerification"]
    challenge = secrets.token_bytes(32)
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=CHALLENGE_TTL * 1000,
        allow_credentials=[
            _descriptor(p) for p in passkeys(backend, user) if p["relying_party_id"] == rp_id
        ],
        user_verification=UserVerificationRequirement(verification),
    )
    asked = Assertion(bytes_to_base64url(challenge), rp_id, verification)
    return asked, options_to_json(options)


def _parse_assertion(credential: str | None) -> AuthenticationCredential:
    try:
        return parse_authentication_credential_json(credential or "")
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise e.InvalidParameter("CREDENTIAL is not an AuthenticationResponseJSON.") from exc


def verify_assertion(
    backend: LocalCognitoBackend, user: CognitoIdpUser, asked: Assertion, credential: str | None
) -> None:
    """The WEB_AUTHN answer: the assertion of one of the user's passkeys, over this
    challenge, from an allowed origin, for the relying party, signed by the stored key,
    with a sign count that moved on (or stays 0: authenticators without a counter)."""
    parsed = _parse_assertion(credential)
    found = next((p for p in passkeys(backend, user) if p["credential_id"] == parsed.id), None)
    if found is None or found["relying_party_id"] != asked.relying_party_id:
        raise e.NotAuthorized("The passkey is not registered for this user.")
    kind, challenge, origin = _client_data(parsed.response.client_data_json)
    if kind != "webauthn.get" or challenge != asked.challenge:
        raise e.NotAuthorized("The passkey assertion does not answer this challenge.")
    try:
        check_origin(origin, asked.relying_party_id)
    except WebAuthnOriginNotAllowed:
        raise e.NotAuthorized(ORIGIN_NOT_ALLOWED) from None
    try:
        data = parse_authenticator_data(parsed.response.authenticator_data)
    except (WebAuthnException, ValueError, TypeError) as exc:
        raise e.InvalidParameter("The assertion's authenticatorData is not valid.") from exc
    if data.rp_id_hash != hashlib.sha256(asked.relying_party_id.encode()).digest():
        raise e.NotAuthorized(RELYING_PARTY_MISMATCH)
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(asked.challenge),
            expected_rp_id=asked.relying_party_id,
            expected_origin=origin,
            credential_public_key=found["public_key"],
            credential_current_sign_count=found["sign_count"],
            require_user_verification=asked.user_verification == "required",
        )
    except WebAuthnException as exc:
        raise e.NotAuthorized(f"The passkey assertion was refused: {exc}") from exc
    found["sign_count"] = verified.new_sign_count


def with_passkeys(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    user: CognitoIdpUser,
    factors: list[str],
) -> list[str]:
    """``factors`` with WEB_AUTHN added, in the registry's order, when the pool allows it
    as a first factor and the user has a passkey for the pool's relying party."""
    if WEB_AUTHN not in choice.pool_factors(pool) or not can_sign_in(backend, pool, user):
        return factors
    wanted = {*factors, WEB_AUTHN}
    return [f for f in FACTORS if f in wanted]


def sign_in_challenge(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser | None,
    name: str,
    admin: bool,
    device_key: str | None,
) -> dict[str, Any]:
    """WEB_AUTHN with ``CREDENTIAL_REQUEST_OPTIONS``, a JSON string. A user who does not
    exist (prevent-user-existence errors on) gets options of the same shape, which no
    assertion answers."""
    if user is not None:
        asked, options = request_options(backend, pool, user)
    else:
        party = settings(backend, pool) or {"UserVerification": "preferred"}
        rp_id = party.get("RelyingPartyId") or LOCAL_RELYING_PARTY_ID
        challenge = secrets.token_bytes(32)
        asked = Assertion(bytes_to_base64url(challenge), rp_id, party["UserVerification"])
        options = options_to_json(
            generate_authentication_options(
                rp_id=rp_id,
                challenge=challenge,
                timeout=CHALLENGE_TTL * 1000,
                user_verification=UserVerificationRequirement(party["UserVerification"]),
            )
        )
    challenge_state = backend._new_challenge(
        pool,
        client,
        user.username if user else None,
        WEB_AUTHN,
        admin,
        device_key=device_key,
        srp_identity=name,
        assertion=asked,
    )
    return challenge_state.reply({"USERNAME": name, "CREDENTIAL_REQUEST_OPTIONS": options})


def answer_web_authn(backend: LocalCognitoBackend, answer: Answer) -> dict[str, Any]:
    """WEB_AUTHN: ``{USERNAME, CREDENTIAL}``, the AuthenticationResponseJSON serialised. A
    refused assertion leaves the session usable for another (until it expires)."""
    challenge = answer.challenge
    credential = answer.responses.get("CREDENTIAL")
    if not credential:
        raise e.InvalidParameter("Missing required parameter CREDENTIAL")
    asked = challenge.assertion
    user = answer.user
    if user is None or asked is None:
        _parse_assertion(credential)
        raise e.NotAuthorized(e.INCORRECT_CREDENTIALS)
    verify_assertion(backend, user, asked, credential)
    backend._end_challenge(challenge)
    if not user.enabled:
        raise e.NotAuthorized("User is disabled.")
    return backend._issue_tokens(answer.pool, answer.client, user, challenge.device_key)


#: The challenges this module answers: fidelity registers them with ``answers``.
ANSWERERS: Final[dict[str, Callable[[LocalCognitoBackend, Answer], dict[str, Any]]]] = {
    WEB_AUTHN: answer_web_authn,
}
