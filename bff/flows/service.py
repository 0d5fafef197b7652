"""The service layer: one function per API step, each load flow → call Cognito → fire → save.

Cosmicpython style: ``FlowService`` takes the gateway and the store as arguments and knows
nothing of HTTP (no Flask import). The views parse, call one method, and shape the answer;
the session cookie is theirs, the flow is ours.

Every step goes the same way:

1. load the flow and check the step is allowed from its state (``IllegalStep``: 409 with
   the state and the allowed steps) and that its challenge session has not expired
   (``SessionExpired``, state EXPIRED: Cognito's challenge Session lives 3 minutes);
2. for a challenge answer, *claim* the step: take the single-use Cognito session out of the
   flow and save (compare-and-set). Of N concurrent submissions exactly one claims it and
   calls Cognito; the others lose the compare-and-set, or find the session already taken,
   and get ``Conflict`` (409) without calling Cognito;
3. call the gateway; on a Cognito error, fire what the error means
   (``flow.apply(action, error_code=..., error_message=...)`` with Cognito's own code and
   message, kept on the error), save, re-raise (``_record_failure``, the one failure path);
4. ``flow.apply(action, step.as_response())`` and save with compare-and-set.

The remembered-device vault is the service's too: it puts a remembered device's secrets
there, deletes them when Cognito no longer knows the device, and tells the view what the
browser's device cookie becomes (``StepOutcome.device_cookie``).

The journal never sees a secret; neither do the logs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from bff.cognito import applicants, totp
from bff.cognito.gateway import CognitoGateway
from bff.cognito.types import (
    AuthStep,
    CodeDelivery,
    Device,
    NewDeviceMetadata,
    RememberedDevice,
    Tokens,
)
from bff.errors import (
    AttemptLimitExceeded,
    CodeMismatch,
    CognitoError,
    Conflict,
    IllegalStep,
    IncorrectPassword,
    InvalidInput,
    InvalidParameter,
    InvalidPassword,
    NoDeviceOffered,
    NoFlow,
    NotAuthorized,
    PasswordResetRequired,
    SessionExpired,
    TemporaryPasswordExpired,
    UnsupportedUserState,
    UserNotConfirmed,
    UserNotFound,
)
from bff.flows.steps import next_steps, step_allowed
from bff.store import Store
from statemachine import Flow, IllegalTransition
from statemachine.lifecycle import (
    AUTHENTICATED,
    CHALLENGE_STATES,
    DEVICE_PASSWORD_VERIFIER,
    DEVICE_SRP_AUTH,
    EXPIRED,
    MFA_SETUP,
    NEW_PASSWORD_REQUIRED,
    SOFTWARE_TOKEN_MFA,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

#: ``StepOutcome.device_cookie`` value telling the view to clear the browser's device cookie.
CLEAR_DEVICE_COOKIE: Final = ""
#: What a sign-in refused with PasswordResetRequiredException tells the user.
PASSWORD_RESET_REQUIRED_MESSAGE: Final = (
    "An administrator reset your password. Enter the code we emailed you and choose a new password."
)
#: How a device the BFF confirms is listed (ConfirmDevice DeviceName, ListDevices).
DEVICE_NAME: Final = "Web browser"
#: After a challenge flow expired the store keeps it this much longer, so the SPA learns
#: "session_expired" (and the journal survives) instead of "no such flow".
EXPIRED_FLOW_GRACE_SECONDS = 3600


@dataclass
class StepOutcome:
    """What a step produced: the flow, the data for the SPA's next screen, and (server-side
    only) the tokens and device metadata Cognito returned."""

    flow: Flow
    data: dict[str, Any] = field(default_factory=dict)
    tokens: Tokens | None = field(default=None, repr=False)
    new_device: NewDeviceMetadata | None = None
    #: the remembered device that answered DEVICE_SRP_AUTH at this sign-in
    device_key_used: str | None = None
    #: the secrets of the device Cognito issued at this sign-in, confirmed at once
    #: (``_confirm_new_device``); kept in the session until the user remembers it or not
    confirmed_device: RememberedDevice | None = field(default=None, repr=False)
    #: the browser's device cookie after this step: None leaves it alone,
    #: CLEAR_DEVICE_COOKIE clears it (the vault entry is already gone), an id sets it
    device_cookie: str | None = None
    #: a privilege change (signed in, password replaced, MFA registered): rotate the session
    privilege_changed: bool = False


@dataclass(frozen=True)
class ExistingDevice:
    """A remembered device the browser presented (device cookie → vault)."""

    device_id: str
    username: str
    device: RememberedDevice = field(repr=False)


def flow_view(
    flow: Flow, data: Mapping[str, Any] | None = None, *, can_remember: bool = False
) -> dict[str, Any]:
    """The ONE step shape every step answers with."""
    exclude = frozenset() if can_remember else frozenset({"remember_device"})
    return {
        "flow": {
            "id": flow.id,
            "state": flow.state,
            "next_steps": next_steps(flow.state, exclude=exclude),
            "data": dict(data or {}),
        }
    }


class FlowService:
    """The sign-up / sign-in steps over a gateway and a store."""

    def __init__(
        self,
        gateway: CognitoGateway,
        store: Store,
        *,
        challenge_seconds: int = 180,
        flow_seconds: int = 28800,
        totp_issuer: str = "Cognito BFF",
    ) -> None:
        self.gateway = gateway
        self.store = store
        self.challenge_seconds = challenge_seconds
        self.flow_seconds = flow_seconds
        self.totp_issuer = totp_issuer

    # -- flow bookkeeping --------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.store.clock(), UTC)

    def _ttl(self, flow: Flow) -> int:
        if flow.state in CHALLENGE_STATES:
            return self.challenge_seconds + EXPIRED_FLOW_GRACE_SECONDS
        return self.flow_seconds

    def new_flow(self, username: str | None = None) -> Flow:
        flow = Flow(username=username, clock=self._now)
        flow.created_at = flow.updated_at = self._now()
        return flow

    def _save(self, flow: Flow) -> None:
        self.store.flows.save(flow, self._ttl(flow))

    def _persist(self, flow: Flow, *, is_new: bool) -> None:
        if is_new:
            self.store.flows.create(flow, self._ttl(flow))
        else:
            self._save(flow)

    def load(self, flow_id: str | None) -> Flow:
        """The flow (challenge expiry applied), or NoFlow."""
        flow = self.store.flows.load(flow_id) if flow_id else None
        if flow is None:
            raise NoFlow()
        flow.clock = self._now
        self._expire_if_due(flow)
        return flow

    def _expire_if_due(self, flow: Flow) -> None:
        if flow.state not in CHALLENGE_STATES:
            return
        age = (self._now() - flow.updated_at).total_seconds()
        if age < self.challenge_seconds:
            return
        flow.fire("session_expired", action="BffFlowTimeout")
        flow.cognito_session = None
        try:
            self._save(flow)
        except Conflict:
            pass  # someone else expired it (or advanced it) first; either way it is decided

    def _require(self, flow: Flow, step: str) -> None:
        if flow.state == EXPIRED and step != "sign_in":
            raise SessionExpired(details={"state": flow.state, "allowed_steps": ["sign_in"]})
        if not step_allowed(step, flow.state):
            raise IllegalStep(
                f"{step!r} is not allowed now (the flow is in {flow.state}).",
                details={"state": flow.state, "allowed_steps": next_steps(flow.state)},
            )

    def _claim_session(self, flow: Flow) -> str:
        """Take the single-use Cognito session out of the flow and save: one winner."""
        session = flow.cognito_session
        if not session:
            raise Conflict("This step was already submitted; wait for its answer or restart.")
        flow.cognito_session = None
        self._save(flow)  # Conflict for every concurrent loser
        return session

    def _call(
        self,
        flow: Flow,
        action: str,
        call: Callable[[], T],
        *,
        restore_session: str | None = None,
        is_new: bool = False,
        request: Mapping[str, Any] | None = None,
    ) -> T:
        """Call Cognito; on its error fire what the error means, save, and re-raise."""
        try:
            return call()
        except CognitoError as exc:
            self._record_failure(
                flow, action, exc, is_new=is_new, restore_session=restore_session, request=request
            )
            raise

    def _record_failure(
        self,
        flow: Flow,
        action: str,
        exc: CognitoError,
        *,
        is_new: bool = False,
        restore_session: str | None = None,
        request: Mapping[str, Any] | None = None,
    ) -> None:
        """The one failure path: fire what Cognito's error means (its own code and message),
        give a still-usable challenge session back, save. An error the state does not
        expect fires nothing (logged): the caller re-raises Cognito's error either way."""
        try:
            if exc.cognito_code is not None:  # else refused here, before Cognito was asked
                flow.apply(
                    action,
                    request=request,
                    error_code=exc.cognito_code,
                    error_message=exc.cognito_message,
                )
        except IllegalTransition:
            log.info("flow %s: %s error not applicable in %s", flow.id, action, flow.state)
        if flow.state in CHALLENGE_STATES and not isinstance(exc, SessionExpired):
            # A wrong code leaves Cognito's session usable: give it back for a retry.
            flow.cognito_session = restore_session
        else:
            flow.cognito_session = None
        self._persist(flow, is_new=is_new)

    # -- sign-up -------------------------------------------------------------------------

    def sign_up(
        self,
        username: str,
        password: str,
        *,
        email: str,
        attributes: Mapping[str, str] | None = None,
    ) -> StepOutcome:
        """SignUp in a new flow; the code goes to ``email``."""
        flow = self.new_flow(username)
        result = self.gateway.sign_up(username, password, email=email, attributes=attributes)
        flow.apply("SignUp", {"UserConfirmed": result.user_confirmed})
        self.store.flows.create(flow, self._ttl(flow))
        data: dict[str, Any] = {"username": username}
        if result.code_delivery:
            data["code_delivery"] = _delivery(result.code_delivery)
        return StepOutcome(flow, data)

    def confirm(self, flow: Flow | None, code: str, *, username: str | None = None) -> StepOutcome:
        """ConfirmSignUp with the emailed code (in the sign-up's flow, or a new one)."""
        flow, is_new = self._flow_for_code_step(flow, "confirm", username)
        name = flow.username or ""

        def confirm_sign_up() -> None:
            try:
                self.gateway.confirm_sign_up(name, code)
            except (CodeMismatch, NotAuthorized, UserNotFound):
                # One answer for a wrong code, an unknown user and an already confirmed
                # one ("User cannot be confirmed. Current status is CONFIRMED"), so the
                # step cannot tell who has an account (docs/security.md, enumeration).
                raise CodeMismatch(
                    CODE_MISMATCH_MESSAGE, cognito_code="CodeMismatchException"
                ) from None

        self._call(flow, "ConfirmSignUp", confirm_sign_up, is_new=is_new)
        flow.apply("ConfirmSignUp", {})
        self._persist(flow, is_new=is_new)
        return StepOutcome(flow, {"username": name})

    def resend_code(self, flow: Flow | None, *, username: str | None = None) -> StepOutcome:
        """ResendConfirmationCode: another code by email."""
        flow, is_new = self._flow_for_code_step(flow, "resend_code", username)
        name = flow.username or ""

        def resend() -> CodeDelivery:
            try:
                return self.gateway.resend_confirmation_code(name)
            except InvalidParameter as exc:
                # "User is already confirmed.": answered like a sent code (Cognito itself
                # simulates a delivery for an unknown user), so the step cannot tell who
                # has an account. Nothing is sent.
                if "already confirmed" not in (exc.cognito_message or exc.message).lower():
                    raise
                return CodeDelivery(
                    destination=None, delivery_medium="EMAIL", attribute_name="email"
                )

        delivery = self._call(flow, "ResendConfirmationCode", resend, is_new=is_new)
        flow.apply("ResendConfirmationCode", {})
        self._persist(flow, is_new=is_new)
        answer = _delivery(delivery)
        if "@" in name:
            # The same masked destination for every username (Cognito's simulated delivery
            # for an unknown user masks a made-up address).
            answer["destination"] = mask_email(name)
        return StepOutcome(flow, {"username": name, "code_delivery": answer})

    def _flow_for_code_step(
        self, flow: Flow | None, step: str, username: str | None
    ) -> tuple[Flow, bool]:
        """The sign-up's own flow when it allows the step; a fresh one for a named user
        (a code typed in another browser); else the 409 that explains why not."""
        if flow is not None and step_allowed(step, flow.state) and flow.username:
            if not username or username.casefold() == flow.username.casefold():
                return flow, False
        if username:
            return self.new_flow(username), True
        if flow is None:
            raise InvalidInput.field("username", "Give the username, or sign up first.")
        self._require(flow, step)
        raise InvalidInput.field("username", "Give the username whose code this is.")

    # -- sign-in -------------------------------------------------------------------------

    def sign_in(
        self,
        flow: Flow | None,
        username: str,
        password: str,
        *,
        device: ExistingDevice | None = None,
        device_name: str | None = None,
    ) -> StepOutcome:
        """InitiateAuth (USER_PASSWORD_AUTH); a remembered device answers DEVICE_SRP_AUTH here.

        Continues the browser's flow when it allows a sign-in for this user (so one journal
        tells sign-up → confirm → sign-in), else starts a new flow. ``device_name``: how a
        device Cognito issues at this step is listed (``_confirm_new_device``); the later
        steps of the sign-in take it too.
        """
        flow, is_new = self._flow_for(flow, "sign_in", username)
        if device is not None and device.username.casefold() != username.casefold():
            device = None  # another user's remembered device says nothing about this one
        device_key = device.device.device_key if device else None
        try:
            step = self.gateway.initiate_auth(username, password, device_key=device_key)
        except UserNotConfirmed as exc:
            # Amplify's mapping: the next step is confirming the sign-up.
            self._record_failure(flow, "InitiateAuth", exc, is_new=is_new)
            return StepOutcome(flow, {"username": username, "reason": "user_not_confirmed"})
        except PasswordResetRequired as exc:
            # Amplify's mapping: the next step is the reset. Cognito emailed the code when
            # the administrator reset the password (AdminResetUserPassword).
            self._record_failure(flow, "InitiateAuth", exc, is_new=is_new)
            data = {
                "username": username,
                "reason": "password_reset_required",
                "message": PASSWORD_RESET_REQUIRED_MESSAGE,
            }
            return StepOutcome(flow, data)
        except TemporaryPasswordExpired as exc:
            self._record_failure(flow, "InitiateAuth", exc, is_new=is_new)
            exc.details.update(flow_id=flow.id, state=flow.state, next_steps=next_steps(flow.state))
            raise
        except CognitoError as exc:
            if device is not None and exc.cognito_code == "ResourceNotFoundException":
                # "Device does not exist": forgotten at Cognito. Sign in without it.
                retry = self.sign_in(
                    flow if not is_new else None, username, password, device_name=device_name
                )
                return self._forget_browser_device(retry, device)
            if isinstance(exc, UserNotFound):
                # PreventUserExistenceErrors normally hides this; if a pool does not, do it
                # here: an unknown user and a wrong password must look the same (ASVS v5
                # 6.3.8), in the journal too.
                exc = NotAuthorized(
                    cognito_code="NotAuthorizedException",
                    cognito_message=NotAuthorized.default_message,
                )
            self._record_failure(flow, "InitiateAuth", exc, is_new=is_new)
            if type(exc) is NotAuthorized:
                # One body for wrong password and unknown user, whatever Cognito said.
                raise NotAuthorized(cognito_code="NotAuthorizedException") from None
            raise
        if is_new:
            self.store.flows.create(flow, self._ttl(flow))
            is_new = False
        outcome = self._enter(flow, "InitiateAuth", step, device_name=device_name, device=device)
        if (
            device is not None
            and device.device.remembered
            and outcome.flow.state in (MFA_SETUP, SOFTWARE_TOKEN_MFA)
        ):
            # Cognito ignored the device (forgotten or not remembered any more): the vault's
            # copy is stale; the browser's device cookie goes with it. A device the user
            # declined to remember gets the MFA challenge by design, and stays.
            return self._forget_browser_device(outcome, device)
        if outcome.flow.state == DEVICE_SRP_AUTH:
            assert device is not None
            proven = self._device_rounds(flow, device, step)
            if proven is None:
                # The vault's device no longer works at Cognito (forgotten elsewhere):
                # sign in again without it; the password was accepted a moment ago.
                retry = self.sign_in(None, username, password, device_name=device_name)
                return self._forget_browser_device(retry, device)
            outcome = proven
        return outcome

    def _flow_for(self, flow: Flow | None, step: str, username: str) -> tuple[Flow, bool]:
        """The browser's flow when it allows ``step`` for this user (one journal tells
        sign-up → confirm → sign-in), else a new flow; (flow, is_new)."""
        is_new = not (
            flow is not None
            and step_allowed(step, flow.state)
            and (flow.username is None or flow.username.casefold() == username.casefold())
        )
        if is_new or flow is None:
            flow = self.new_flow(username)
            is_new = True
        flow.username = username
        flow.cognito_session = None
        return flow, is_new

    def _forget_browser_device(self, outcome: StepOutcome, device: ExistingDevice) -> StepOutcome:
        """Cognito refused the browser's remembered device: drop it from the vault, and tell
        the view to clear the device cookie."""
        self.store.devices.delete(device.device_id)
        outcome.device_cookie = CLEAR_DEVICE_COOKIE
        return outcome

    def _device_rounds(
        self, flow: Flow, device: ExistingDevice, step: AuthStep
    ) -> StepOutcome | None:
        """DEVICE_SRP_AUTH → DEVICE_PASSWORD_VERIFIER, answered by the BFF itself; None when
        Cognito refused the device."""
        username = flow.username or device.username
        session = self._claim_session(flow)
        try:
            challenge = self.gateway.respond_device_srp_auth(username, device.device, session)
            flow.apply("RespondToAuthChallenge", challenge.step.as_response())
            final = self.gateway.respond_device_password_verifier(challenge)
        except CognitoError as exc:
            log.info("flow %s: remembered device refused (%s)", flow.id, exc.cognito_code)
            self._record_failure(flow, "RespondToAuthChallenge", exc)
            if isinstance(exc, SessionExpired):
                raise
            return None
        assert flow.state == DEVICE_PASSWORD_VERIFIER
        outcome = self._enter(flow, "RespondToAuthChallenge", final)
        outcome.device_key_used = device.device.device_key
        return outcome

    def _enter(
        self,
        flow: Flow,
        action: str,
        step: AuthStep,
        *,
        device_name: str | None = None,
        device: ExistingDevice | None = None,
    ) -> StepOutcome:
        """Fire what Cognito's answer means, prepare the next screen's data, save.

        ``device``: the browser's device named (DEVICE_KEY) at this sign-in. When it is one
        the user declined to remember, Cognito signs in with it and issues no new device:
        the tokens are bound to it, and the remember-device prompt offers it again."""
        flow.apply(action, step.as_response())
        if step.challenge_parameters.get("USERNAME"):
            # Challenge answers must name the user as Cognito does (its internal username).
            flow.username = step.challenge_parameters["USERNAME"]
        flow.cognito_session = step.session
        data: dict[str, Any] = {"username": flow.username}
        outcome = StepOutcome(flow, data)
        if flow.state == NEW_PASSWORD_REQUIRED:
            data["required_attributes"] = applicants.required_attributes(step)
        elif flow.state == MFA_SETUP:
            data.update(self._associate(flow))
        elif flow.state == AUTHENTICATED:
            flow.cognito_session = None
            outcome.tokens = step.tokens
            outcome.new_device = step.new_device
            outcome.privilege_changed = True
            if step.new_device is not None and step.tokens is not None:
                outcome.confirmed_device = self._confirm_new_device(
                    flow, step.tokens.access_token, step.new_device, device_name or DEVICE_NAME
                )
            elif device is not None and not device.device.remembered:
                # No new device: Cognito signed in with the DEVICE_KEY ``sign_in`` sent.
                outcome.device_key_used = device.device.device_key
                outcome.confirmed_device = device.device
            data["can_remember_device"] = outcome.confirmed_device is not None
        self._save(flow)
        return outcome

    def _confirm_new_device(
        self, flow: Flow, access_token: str, new_device: NewDeviceMetadata, device_name: str
    ) -> RememberedDevice | None:
        """ConfirmDevice the device Cognito issued with the tokens, at once, as Amplify does.

        In a pool with device tracking Cognito refreshes these tokens only with this
        device's key, and only once the device is confirmed (docs/local-cognito.md): a user
        who never answers the remember-device prompt must stay refreshable. Whether the
        device is *remembered* (skips MFA) stays the user's choice (``remember_device``).
        A refusal leaves the sign-in standing: the tokens work until they expire.
        """
        try:
            device, necessary = self.gateway.confirm_device(
                access_token, new_device, device_name=device_name
            )
        except CognitoError as exc:
            log.warning("flow %s: ConfirmDevice refused (%s)", flow.id, exc.cognito_code)
            return None
        flow.apply("ConfirmDevice", {"UserConfirmationNecessary": necessary})
        return device

    def _associate(self, flow: Flow) -> dict[str, Any]:
        """Entering MFA_SETUP: AssociateSoftwareToken with the challenge session, at once."""
        session = flow.cognito_session or ""
        association = self._call(
            flow,
            "AssociateSoftwareToken",
            lambda: self.gateway.associate_software_token(session=session),
        )
        flow.apply("AssociateSoftwareToken", {})
        flow.cognito_session = association.session or session
        uri = totp.otpauth_uri(
            association.secret_code, account=flow.username or "user", issuer=self.totp_issuer
        )
        # The secret appears in this one answer only (manual entry); it is stored nowhere.
        return {"otpauth_uri": uri, "qr_svg": totp.qr_svg(uri), "secret": association.secret_code}

    # -- challenge answers ---------------------------------------------------------------

    def _respond(
        self,
        flow: Flow,
        session: str,
        respond: Callable[[], AuthStep],
        *,
        privilege_changed: bool = False,
        device_name: str | None = None,
        device: ExistingDevice | None = None,
    ) -> StepOutcome:
        """RespondToAuthChallenge with ``session`` (given back on a retryable error), then
        enter the state Cognito's answer means. ``privilege_changed``: the answer changed a
        credential (password replaced, MFA registered), so the browser session is rotated
        even when no tokens come yet."""
        step = self._call(flow, "RespondToAuthChallenge", respond, restore_session=session)
        outcome = self._enter(
            flow, "RespondToAuthChallenge", step, device_name=device_name, device=device
        )
        if privilege_changed:
            outcome.privilege_changed = True
        return outcome

    def new_password(
        self,
        flow: Flow,
        new_password: str,
        *,
        attributes: Mapping[str, str] | None = None,
        required: list[str] | None = None,
        device_name: str | None = None,
        device: ExistingDevice | None = None,
    ) -> StepOutcome:
        """Answer NEW_PASSWORD_REQUIRED (RespondToAuthChallenge) with the user's password and
        the challenge's ``required`` attributes, through the one code path it shares with
        ``applicants.handle_new_password_challenge``."""
        self._require(flow, "new_password")
        session = self._claim_session(flow)
        username = flow.username or ""
        return self._respond(
            flow,
            session,
            lambda: applicants.answer_new_password_challenge(
                self.gateway,
                username,
                new_password,
                session,
                attributes=attributes,
                required=required,
            ),
            privilege_changed=True,
            device_name=device_name,
            device=device,
        )

    def mfa_setup_verify(
        self,
        flow: Flow,
        code: str,
        *,
        friendly_device_name: str | None = None,
        device_name: str | None = None,
        device: ExistingDevice | None = None,
    ) -> StepOutcome:
        """VerifySoftwareToken with the first code, then answer MFA_SETUP → tokens."""
        self._require(flow, "mfa_setup_verify")
        session = self._claim_session(flow)
        new_session = self._call(
            flow,
            "VerifySoftwareToken",
            lambda: self.gateway.verify_software_token(
                code, session=session, friendly_device_name=friendly_device_name
            ),
            restore_session=session,
        )
        flow.apply("VerifySoftwareToken", {"Status": "SUCCESS"})
        answer_session = new_session or session
        username = flow.username or ""
        return self._respond(
            flow,
            answer_session,
            lambda: self.gateway.respond_mfa_setup(username, answer_session),
            privilege_changed=True,
            device_name=device_name,
            device=device,
        )

    def mfa_code(
        self,
        flow: Flow,
        code: str,
        *,
        device_name: str | None = None,
        device: ExistingDevice | None = None,
    ) -> StepOutcome:
        """Answer SOFTWARE_TOKEN_MFA with the authenticator app's code. ``device``: the
        browser's device, as given to ``sign_in`` (a declined device signs in with it)."""
        self._require(flow, "mfa_code")
        session = self._claim_session(flow)
        username = flow.username or ""
        return self._respond(
            flow,
            session,
            lambda: self.gateway.respond_software_token_mfa(username, code, session),
            device_name=device_name,
            device=device,
        )

    # -- after sign-in -------------------------------------------------------------------

    def remember_device(
        self,
        flow: Flow,
        access_token: str,
        device: RememberedDevice | None,
        *,
        remember: bool,
        username: str,
        browser_device_id: str | None = None,
    ) -> StepOutcome:
        """UpdateDeviceStatus remembered / not_remembered for the device confirmed at this
        sign-in (``_confirm_new_device``): the user's one choice.

        The device's secrets go to the vault under a new id, which the outcome's
        ``device_cookie`` carries to the browser; the browser's previous device (one per
        browser) leaves the vault. A declined device is kept too, marked not remembered: the
        next sign-in from this browser names it (DEVICE_KEY), so Cognito asks for MFA but
        issues no new device, as Amplify does (docs/api.md, "Devices").
        """
        self._require(flow, "remember_device")
        if device is None:
            raise NoDeviceOffered()
        # Explicit either way: with "remember on user prompt" Cognito waits for this call;
        # without it, a device the user declined must still be marked not_remembered.
        self._call(
            flow,
            "UpdateDeviceStatus",
            lambda: self.gateway.update_device_status(
                access_token, device.device_key, remembered=remember
            ),
        )
        status = "remembered" if remember else "not_remembered"
        flow.apply("UpdateDeviceStatus", request={"DeviceRememberedStatus": status})
        self._save(flow)
        outcome = StepOutcome(flow, {"username": flow.username, "device_remembered": remember})
        if browser_device_id:
            self.store.devices.delete(browser_device_id)
        outcome.device_cookie = self.store.devices.put(
            username, replace(device, remembered=remember)
        )
        return outcome

    def browser_device(self, device_id: str) -> ExistingDevice | None:
        """The remembered device behind a browser's device cookie, or None (unknown id)."""
        found = self.store.devices.get(device_id)
        if found is None:
            return None
        username, device = found
        return ExistingDevice(device_id=device_id, username=username, device=device)

    def devices(self, access_token: str) -> list[Device]:
        """The signed-in user's tracked devices (ListDevices; moves no flow)."""
        return self.gateway.list_devices(access_token)

    def forget_device(
        self,
        flow: Flow | None,
        access_token: str,
        device_key: str,
        *,
        browser_device: ExistingDevice | None = None,
    ) -> str | None:
        """ForgetDevice at Cognito (the device's next sign-in asks for MFA), journaled as
        ``device_forgotten`` in the signed-in flow.

        Forgetting this browser's own device also deletes its secrets from the vault; the
        answer is then CLEAR_DEVICE_COOKIE (what the browser's device cookie becomes), else
        None.
        """
        if flow is not None and flow.may("device_forgotten"):
            self._call(
                flow, "ForgetDevice", lambda: self.gateway.forget_device(access_token, device_key)
            )
            flow.apply("ForgetDevice", {})
            self._save(flow)
        else:
            self.gateway.forget_device(access_token, device_key)
        if browser_device is not None and browser_device.device.device_key == device_key:
            self.store.devices.delete(browser_device.device_id)
            return CLEAR_DEVICE_COOKIE
        return None

    # -- password recovery (signed out) --------------------------------------------------

    def forgot_password(self, flow: Flow | None, username: str) -> StepOutcome:
        """ForgotPassword: a reset code by email; RESET_CODE_SENT.

        No enumeration: with PreventUserExistenceErrors Cognito answers an unknown user with
        a simulated delivery. A pool without it (UserNotFoundException), or a user who
        cannot reset by email (no verified email: InvalidParameterException; a temporary
        password or a disabled account: NotAuthorizedException) get the same answer here,
        and nothing is sent. So does Cognito's limit on reset codes per user and hour
        (LimitExceededException): it never applies to an unknown user, so a 429 would tell
        who has an account; the journal records it (``attempts_exceeded``), the user still
        has the codes already sent.
        """
        flow, is_new = self._flow_for(flow, "forgot_password", username)
        try:
            delivery = self.gateway.forgot_password(username)
        except (UserNotFound, InvalidParameter, NotAuthorized, UserNotConfirmed) as exc:
            log.info("forgot password: nothing sent (%s)", exc.cognito_code)
            delivery = simulated_delivery(username)
        except AttemptLimitExceeded as exc:
            if exc.cognito_code != "LimitExceededException":
                self._record_failure(flow, "ForgotPassword", exc, is_new=is_new)
                raise
            log.info("forgot password: nothing sent (Cognito's limit on reset codes)")
            self._record_failure(flow, "ForgotPassword", exc, is_new=is_new)
            is_new = False
            delivery = simulated_delivery(username)
        except CognitoError as exc:
            self._record_failure(flow, "ForgotPassword", exc, is_new=is_new)
            raise
        flow.apply("ForgotPassword", {})
        self._persist(flow, is_new=is_new)
        answer = _delivery(delivery)
        if "@" in username:
            answer["destination"] = mask_email(username)  # the same for every username
        return StepOutcome(flow, {"username": username, "code_delivery": answer})

    def reset_password(
        self,
        flow: Flow | None,
        code: str,
        new_password: str,
        *,
        username: str | None = None,
        keep_session: str | None = None,
    ) -> StepOutcome:
        """ConfirmForgotPassword with the emailed code and the new password; CONFIRMED.

        A wrong or expired code, a weak password and Cognito's attempt limit keep the state
        (journaled) and answer their error. Once reset, every BFF session of the user but
        ``keep_session`` (the resetting browser's) ends: whoever knew the old password is
        signed out here. Remembered devices and the MFA
        setting stay as Cognito leaves them.
        """
        flow, is_new = self._flow_for_code_step(flow, "reset_password", username)
        name = flow.username or ""
        try:
            self.gateway.confirm_forgot_password(name, code, new_password)
        except CognitoError as exc:
            self._record_failure(flow, "ConfirmForgotPassword", exc, is_new=is_new)
            _point_at_field(exc, "new_password")
            raise
        flow.apply("ConfirmForgotPassword", {})
        self._persist(flow, is_new=is_new)
        ended = self.end_user_sessions(name, keep_session=keep_session)
        return StepOutcome(
            flow, {"username": name, "password_reset": True, "sessions_ended": ended}
        )

    def resend_temporary_password(self, flow: Flow | None, username: str) -> StepOutcome:
        """ "Send me a new temporary password": AdminCreateUser MessageAction=RESEND through
        ``applicants.resend_temporary_password``; TEMPORARY_PASSWORD_SENT.

        The same answer whether or not the account exists or waits for a new password
        (UserNotFoundException, UnsupportedUserStateException are logged, not told).
        """
        flow, is_new = self._flow_for(flow, "resend_temporary_password", username)
        try:
            applicants.resend_temporary_password(username, gateway=self.gateway)
        except (UserNotFound, UnsupportedUserState, NotAuthorized) as exc:
            log.info("temporary password: nothing sent (%s)", exc.cognito_code)
        except CognitoError as exc:
            self._record_failure(flow, "AdminCreateUser", exc, is_new=is_new)
            raise
        flow.apply("AdminCreateUser", {}, request={"MessageAction": "RESEND"})
        self._persist(flow, is_new=is_new)
        return StepOutcome(flow, {"username": username})

    # -- the signed-in user's own account ---------------------------------------------------

    def change_password(
        self,
        flow: Flow,
        access_token: str,
        previous_password: str,
        new_password: str,
        *,
        keep_session: str | None = None,
    ) -> StepOutcome:
        """ChangePassword (the current password checked by Cognito). The browser's session
        is rotated; every other BFF session of the user ends."""
        self._require(flow, "change_password")
        try:
            self.gateway.change_password(access_token, previous_password, new_password)
        except CognitoError as exc:
            self._record_failure(flow, "ChangePassword", exc)
            if type(exc) is NotAuthorized:
                wrong = IncorrectPassword()
                wrong.details["fields"] = {"previous_password": [wrong.message]}
                raise wrong from None
            _point_at_field(exc, "new_password")
            raise
        flow.apply("ChangePassword", {})
        self._save(flow)
        ended = self.end_user_sessions(flow.username or "", keep_session=keep_session)
        data = {"username": flow.username, "password_changed": True, "sessions_ended": ended}
        return StepOutcome(flow, data, privilege_changed=True)

    def mfa_status(self, flow: Flow, access_token: str) -> StepOutcome:
        """GetUser: which MFA the user has (``UserMFASettingList``) and prefers
        (``PreferredMfaSetting``)."""
        self._require(flow, "mfa_status")
        user = self._call(flow, "GetUser", lambda: self.gateway.get_user(access_token))
        flow.apply("GetUser", {})
        try:
            self._save(flow)
        except Conflict:
            log.info("flow %s changed while reading the MFA status", flow.id)
        enabled = list(user.mfa_enabled)
        data = {
            "username": flow.username,
            "mfa": {
                "enabled": enabled,
                "preferred": user.mfa_preferred,
                "authenticator_app": "SOFTWARE_TOKEN_MFA" in enabled,
            },
        }
        return StepOutcome(flow, data)

    def replace_authenticator(self, flow: Flow, access_token: str) -> StepOutcome:
        """AssociateSoftwareToken with the access token: a new TOTP secret, shown once. The
        old app keeps working until ``verify_authenticator`` succeeds."""
        self._require(flow, "replace_authenticator")
        association = self._call(
            flow,
            "AssociateSoftwareToken",
            lambda: self.gateway.associate_software_token(access_token=access_token),
        )
        flow.apply("AssociateSoftwareToken", {})
        self._save(flow)
        uri = totp.otpauth_uri(
            association.secret_code, account=flow.username or "user", issuer=self.totp_issuer
        )
        data = {
            "username": flow.username,
            "otpauth_uri": uri,
            "qr_svg": totp.qr_svg(uri),
            "secret": association.secret_code,
        }
        return StepOutcome(flow, data)

    def verify_authenticator(
        self, flow: Flow, access_token: str, code: str, *, friendly_device_name: str | None = None
    ) -> StepOutcome:
        """VerifySoftwareToken with the new app's first code, then SetUserMFAPreference (TOTP
        enabled and preferred): the new app replaces the old one, whose codes fail from now
        on. A credential changed: the session is rotated."""
        self._require(flow, "verify_authenticator")
        self._call(
            flow,
            "VerifySoftwareToken",
            lambda: self.gateway.verify_software_token(
                code, access_token=access_token, friendly_device_name=friendly_device_name
            ),
        )
        flow.apply("VerifySoftwareToken", {"Status": "SUCCESS"})
        self._call(
            flow,
            "SetUserMFAPreference",
            lambda: self.gateway.set_user_mfa_preference(access_token),
        )
        flow.apply("SetUserMFAPreference", {})
        self._save(flow)
        data = {"username": flow.username, "authenticator_replaced": True}
        return StepOutcome(flow, data, privilege_changed=True)

    def sign_out_everywhere(self, flow: Flow, access_token: str) -> tuple[Flow, int]:
        """GlobalSignOut: the user's tokens are revoked at Cognito on every device, and every
        BFF session of the user ends (this one included). Returns the flow and how many
        sessions ended."""
        self._require(flow, "sign_out_everywhere")
        try:
            self.gateway.global_sign_out(access_token)
        except SessionExpired:
            log.info("sign out everywhere: the access token was already revoked")
        flow.apply("GlobalSignOut", {})
        flow.cognito_session = None
        try:
            self._save(flow)
        except Conflict:
            log.info("flow %s changed during sign-out; the sessions end anyway", flow.id)
        return flow, self.end_user_sessions(flow.username or "")

    def end_user_sessions(self, username: str, *, keep_session: str | None = None) -> int:
        """Delete every BFF session of ``username`` but ``keep_session``; how many ended.

        Their tokens were only ever on the server: deleting the records signs those browsers
        out (their next request is ``not_signed_in``).
        """
        ended = self.store.sessions.end_user_sessions(username, keep=keep_session)
        if ended:
            log.info("ended %d other session(s) of a user", ended)
        return ended

    def sign_out(
        self,
        flow: Flow | None,
        *,
        access_token: str | None,
        refresh_token: str | None,
        unremembered_device_key: str | None = None,
    ) -> Flow | None:
        """RevokeToken at Cognito (this browser's refresh token and the access tokens issued
        from it); the flow ends SIGNED_OUT. Other browsers stay signed in: see
        ``sign_out_everywhere``.

        ``unremembered_device_key``: the session's device when this browser does not
        remember it (declined, or never answered). Its tokens die with the sign-out and
        no browser holds its secret, so it is forgotten first (ForgetDevice needs a live
        access token): the user's device list keeps remembered devices and live sessions.

        Cognito refusing (tokens already revoked or expired) does not keep anyone signed in:
        the server session is deleted by the caller whatever Cognito answered.
        """
        if access_token and unremembered_device_key:
            self._forget_session_device(flow, access_token, unremembered_device_key)
        if refresh_token:
            try:
                self.gateway.revoke_token(refresh_token)
            except CognitoError as exc:
                log.info("sign-out: RevokeToken refused (%s)", exc.cognito_code)
        if flow is not None and flow.may("signed_out"):
            flow.apply("RevokeToken", {})
            flow.cognito_session = None
            try:
                self._save(flow)
            except Conflict:
                log.info("flow %s changed during sign-out; the session ends anyway", flow.id)
        return flow

    def _forget_session_device(self, flow: Flow | None, access_token: str, device_key: str) -> None:
        try:
            self.gateway.forget_device(access_token, device_key)
        except CognitoError as exc:
            log.info("sign-out: ForgetDevice refused (%s)", exc.cognito_code)
            return
        if flow is not None and flow.may("device_forgotten"):
            flow.apply("ForgetDevice", {})

    def refresh(
        self,
        flow: Flow | None,
        refresh_token: str,
        *,
        username: str | None,
        device_key: str | None,
    ) -> Tokens:
        """REFRESH_TOKEN_AUTH; a refusal marks the flow EXPIRED and re-raises."""
        try:
            step = self.gateway.refresh_tokens(
                refresh_token, username=username, device_key=device_key
            )
        except CognitoError as exc:
            if flow is not None and isinstance(exc, NotAuthorized):
                try:
                    self._record_failure(
                        flow, "InitiateAuth", exc, request={"AuthFlow": "REFRESH_TOKEN_AUTH"}
                    )
                except Conflict:
                    log.info("flow %s changed during a refused refresh", flow.id)
            raise
        if step.tokens is None:
            raise NotAuthorized("Cognito answered the refresh with a challenge.")
        return step.tokens


#: Cognito's text for a wrong confirmation code (ConfirmSignUp, CodeMismatchException).
CODE_MISMATCH_MESSAGE = "Invalid verification code provided, please try again."


def mask_email(address: str) -> str:
    """Cognito's mask of a delivery address: ``ada@example.com`` -> ``a***@e***``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def simulated_delivery(username: str) -> CodeDelivery:
    """What Cognito answers an unknown user with PreventUserExistenceErrors: an email
    delivery to a masked address (masked from the username, which is the email in this
    pool, as a real delivery would be)."""
    masked = mask_email(username) if "@" in username else None
    return CodeDelivery(destination=masked, delivery_medium="EMAIL", attribute_name="email")


def _point_at_field(exc: CognitoError, field_name: str) -> None:
    """A policy refusal of a new password names its field, like a 422 (``details.fields``)."""
    if isinstance(exc, InvalidPassword):
        exc.details["fields"] = {field_name: [exc.message]}


def _delivery(delivery: Any) -> dict[str, Any]:
    return {
        "destination": delivery.destination,
        "medium": delivery.delivery_medium,
        "attribute": delivery.attribute_name,
    }


__all__ = [
    "CLEAR_DEVICE_COOKIE",
    "ExistingDevice",
    "FlowService",
    "NoDeviceOffered",
    "NoFlow",
    "StepOutcome",
    "flow_view",
]
