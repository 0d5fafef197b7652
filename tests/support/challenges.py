"""Test helpers that answer Cognito's challenges through the app's gateway, the way the
runtime's challenge handlers (bff.flows.challenges) build their ChallengeResponses, for
tests that drive Cognito step by step without a flow. Not runtime code: the runtime never
needs an SRP password sign-in, a whole device sign-in in one call, or every user at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bff.cognito import srp, wire
from bff.cognito.error_translation import cognito_call
from bff.cognito.gateway import CognitoGateway
from bff.cognito.types import AuthStep, CognitoUser, DeviceSrpChallenge, RememberedDevice
from bff.errors import CognitoError
from bff.flows.challenges.device_srp import answer_device_password_verifier, start_device_srp
from bff.flows.challenges.new_password import answer_new_password
from bff.flows.challenges.software_token_mfa import mfa_code_responses
from statemachine.challenges import MFA_SETUP, PASSWORD_VERIFIER, SOFTWARE_TOKEN_MFA


def respond_new_password(
    gateway: CognitoGateway,
    username: str,
    new_password: str,
    session: str,
    *,
    attributes: Mapping[str, str] | None = None,
    admin: bool = False,
) -> AuthStep:
    """NEW_PASSWORD_REQUIRED answered with ``attributes`` as given (no required list)."""
    return answer_new_password(
        gateway, username, new_password, session, attributes=attributes, admin=admin
    )


def respond_mfa_setup(
    gateway: CognitoGateway, username: str, session: str, *, admin: bool = False
) -> AuthStep:
    """MFA_SETUP finished with the Session VerifySoftwareToken returned."""
    return gateway.respond(MFA_SETUP, {"USERNAME": username}, session, admin=admin)


def respond_software_token_mfa(
    gateway: CognitoGateway, username: str, code: str, session: str, *, admin: bool = False
) -> AuthStep:
    return gateway.respond(
        SOFTWARE_TOKEN_MFA, mfa_code_responses(username, code), session, admin=admin
    )


def respond_device_srp_auth(
    gateway: CognitoGateway, username: str, device: RememberedDevice, session: str
) -> DeviceSrpChallenge:
    return start_device_srp(gateway, username, device, session)


def respond_device_password_verifier(
    gateway: CognitoGateway, challenge: DeviceSrpChallenge
) -> AuthStep:
    return answer_device_password_verifier(gateway, challenge)


def sign_in_with_device(
    gateway: CognitoGateway, username: str, device: RememberedDevice, session: str
) -> AuthStep:
    """Both device rounds after a sign-in answered DEVICE_SRP_AUTH: tokens without MFA."""
    return answer_device_password_verifier(
        gateway, start_device_srp(gateway, username, device, session)
    )


def initiate_srp_auth(
    gateway: CognitoGateway, username: str, password: str, *, device_key: str | None = None
) -> AuthStep:
    """Sign in without sending the password (USER_SRP_AUTH), answering PASSWORD_VERIFIER;
    the step after it."""
    client: Any = gateway._client
    ephemeral = srp.SrpEphemeral.generate()
    with cognito_call("InitiateAuth"):
        response = client.initiate_auth(
            ClientId=gateway.client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters=gateway._auth_parameters(
                username, USERNAME=username, SRP_A=ephemeral.srp_a, DEVICE_KEY=device_key
            ),
        )
    step = wire.auth_step(response)
    if step.challenge_name != PASSWORD_VERIFIER:
        return step
    try:
        claim = srp.password_verifier_responses(
            ephemeral,
            user_pool_id=gateway.user_pool_id,
            password=password,
            challenge_parameters=step.challenge_parameters,
        )
    except srp.InvalidSrpParameters as error:
        raise CognitoError(f"Cognito's PASSWORD_VERIFIER is unusable: {error}") from None
    if device_key:
        claim["DEVICE_KEY"] = device_key
    return gateway.respond(PASSWORD_VERIFIER, claim, step.session)


def iter_users(gateway: CognitoGateway, *, filter: str | None = None) -> Iterator[CognitoUser]:
    """Every user matching ``filter``, page by page (ListUsers)."""
    token: str | None = None
    while True:
        page = gateway.list_users(filter=filter, limit=wire.MAX_PAGE_SIZE, pagination_token=token)
        yield from page.users
        token = page.pagination_token
        if not token:
            return
