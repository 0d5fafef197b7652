"""DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER: a remembered device proves itself, and the
sign-in skips MFA. The BFF answers both rounds itself, within the sign-in step: the device's
password never leaves the server.

1. DEVICE_SRP_AUTH: ``{USERNAME, DEVICE_KEY, SRP_A}`` with a fresh SRP ephemeral;
   Cognito answers DEVICE_PASSWORD_VERIFIER (SRP_B, SALT, SECRET_BLOCK).
2. DEVICE_PASSWORD_VERIFIER: ``{USERNAME, DEVICE_KEY, PASSWORD_CLAIM_SECRET_BLOCK,
   PASSWORD_CLAIM_SIGNATURE, TIMESTAMP}`` (bff.cognito.srp) → tokens.

The Session is passed on each round, as Amplify does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bff.cognito import srp
from bff.cognito.gateway import CognitoGateway
from bff.cognito.types import AuthStep, DeviceSrpChallenge, RememberedDevice
from bff.errors import CognitoError, SessionExpired
from statemachine import Flow
from statemachine.challenges import DEVICE_PASSWORD_VERIFIER, DEVICE_SRP_AUTH

from ..outcome import ExistingDevice

if TYPE_CHECKING:
    from bff.flows.protocol import Flows

log = logging.getLogger(__name__)


def start_device_srp(
    gateway: CognitoGateway, username: str, device: RememberedDevice, session: str
) -> DeviceSrpChallenge:
    """Round 1: DEVICE_SRP_AUTH with a fresh SRP_A. Returns Cognito's
    DEVICE_PASSWORD_VERIFIER step and the SRP secret round 2 needs."""
    ephemeral = srp.SrpEphemeral.generate()
    responses = {"USERNAME": username, "DEVICE_KEY": device.device_key, "SRP_A": ephemeral.srp_a}
    step = gateway.respond(DEVICE_SRP_AUTH, responses, session)
    if step.challenge_name != DEVICE_PASSWORD_VERIFIER:
        raise CognitoError(
            f"Expected {DEVICE_PASSWORD_VERIFIER} after {DEVICE_SRP_AUTH}, got "
            f"{step.challenge_name or 'tokens'}."
        )
    return DeviceSrpChallenge(
        username=step.challenge_parameters.get("USERNAME") or username,
        device=device,
        step=step,
        srp_small_a=ephemeral.small_a,
        srp_large_a=ephemeral.large_a,
    )


def answer_device_password_verifier(
    gateway: CognitoGateway, challenge: DeviceSrpChallenge
) -> AuthStep:
    """Round 2: prove the device holds its password; the tokens (a remembered device is not
    asked for an MFA code)."""
    device = challenge.device
    try:
        claim = srp.device_password_verifier_responses(
            srp.SrpEphemeral(small_a=challenge.srp_small_a, large_a=challenge.srp_large_a),
            device_group_key=device.device_group_key,
            device_key=device.device_key,
            device_password=device.device_password,
            challenge_parameters=challenge.step.challenge_parameters,
        )
    except srp.InvalidSrpParameters as error:
        raise CognitoError(f"Cognito's {DEVICE_PASSWORD_VERIFIER} is unusable: {error}") from None
    claim.setdefault("USERNAME", challenge.username)
    return gateway.respond(DEVICE_PASSWORD_VERIFIER, claim, challenge.step.session)


def prove_device(flows: Flows, flow: Flow, device: ExistingDevice, session: str) -> AuthStep | None:
    """Both rounds after a sign-in answered DEVICE_SRP_AUTH, with the Cognito ``session``
    the caller took out of the flow, journaled; the final step, or None when Cognito
    refused the device (forgotten elsewhere: the caller signs in without it). An expired
    challenge session is raised."""
    username = flow.username or device.username
    try:
        round_one = start_device_srp(flows.gateway, username, device.device, session)
        flow.apply("RespondToAuthChallenge", round_one.step.as_response())
        final = answer_device_password_verifier(flows.gateway, round_one)
    except CognitoError as exc:
        log.info("flow %s: remembered device refused (%s)", flow.id, exc.cognito_code)
        flows.record_failure(flow, "RespondToAuthChallenge", exc)
        if isinstance(exc, SessionExpired):
            raise
        return None
    return final
