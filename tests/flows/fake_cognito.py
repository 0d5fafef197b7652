"""A hand-written fake of the Cognito gateway for fast service tests (cosmicpython's style).

``FakeCognito`` subclasses ``CognitoGateway`` and answers from a dict of users instead of
calling Cognito: the same method signatures, the project's types and errors, each error
with Cognito's own code and message. It is not a second local Cognito: it knows only what
the service tests need, and the through-the-wire tests (tests/api) keep the service honest
against the local Cognito.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from bff.cognito.error_translation import translate_client_error
from bff.cognito.gateway import CognitoGateway
from bff.cognito.types import (
    AuthStep,
    CodeDelivery,
    CognitoUser,
    Device,
    NewDeviceMetadata,
    RememberedDevice,
    SoftwareTokenAssociation,
    Tokens,
)
from bff.errors import CognitoError
from local_cognito.srp_server import (
    ServerHandshake,
    compute_verifier,
    new_salt,
    parse_srp_a,
    salt_hex,
)

GOOD_TOTP = "123456"
INCORRECT = "Incorrect username or password."
SESSION_EXPIRED = "Invalid session for the user, session is expired."
TEMPORARY_PASSWORD_EXPIRED = "Temporary password has expired and must be reset by an administrator."
RESET_CODE = "424242"
#: The device group of every device the fake remembers (tests/flows: "group-1").
DEVICE_GROUP = "group-1"


def fake_jwt(claims: Mapping[str, object]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(dict(claims)).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{payload}.sig"


@dataclass
class FakeUser:
    username: str
    password: str
    confirmed: bool = True
    mfa: bool = True
    #: FORCE_CHANGE_PASSWORD with an expired temporary password
    temporary_expired: bool = False
    #: FORCE_CHANGE_PASSWORD: sign-in answers NEW_PASSWORD_REQUIRED with these attributes
    required_attributes: list[str] | None = None
    reset_code: str | None = None
    #: device key -> device password, for the devices Cognito remembers (group DEVICE_GROUP)
    devices: dict[str, str] = field(default_factory=dict)


def _error(code: str, message: str) -> CognitoError:
    """The project's error for Cognito's ``code`` and ``message``, through the gateway's
    own translation (so the fake cannot disagree with it)."""
    return translate_client_error(ClientError({"Error": {"Code": code, "Message": message}}, "x"))


class FakeCognito(CognitoGateway):
    """Users in a dict; every call recorded by action name in ``calls``."""

    def __init__(self, *, pool_hides_unknown_users: bool = True) -> None:
        super().__init__(None, user_pool_id="eu-west-1_fake", client_id="fake-client")
        self.users: dict[str, FakeUser] = {}
        self.calls: list[str] = []
        #: PreventUserExistenceErrors: False makes an unknown user UserNotFoundException
        self.pool_hides_unknown_users = pool_hides_unknown_users
        self.expired_sessions: set[str] = set()
        self._sessions: dict[str, str] = {}  # session -> username
        #: device key -> ConfirmDevice's DeviceName / UpdateDeviceStatus's choice
        self.confirmed_devices: dict[str, str] = {}
        self.device_status: dict[str, bool] = {}
        #: a Cognito error ConfirmDevice answers with, if set
        self.confirm_device_error: tuple[str, str] | None = None
        #: the attributes the last NEW_PASSWORD_REQUIRED answer sent
        self.sent_attributes: dict[str, str] = {}
        #: DEVICE_SRP_AUTH's server half, by the Session it answered with
        self._handshakes: dict[str, tuple[ServerHandshake, int, str]] = {}

    def add_user(self, username: str, password: str, **kwargs: object) -> FakeUser:
        user = FakeUser(username, password, **kwargs)  # type: ignore[arg-type]
        self.users[username] = user
        return user

    def _session(self, username: str) -> str:
        session = secrets.token_urlsafe(24)
        self._sessions[session] = username
        return session

    def _check_session(self, session: str) -> str:
        if session in self.expired_sessions or session not in self._sessions:
            raise _error("NotAuthorizedException", SESSION_EXPIRED)
        return self._sessions[session]

    def _tokens(self, username: str, *, new_device: bool) -> AuthStep:
        access = fake_jwt({"username": username, "token_use": "access"})
        tokens = Tokens(access, fake_jwt({"cognito:username": username}), "refresh", 3600)
        device = (
            NewDeviceMetadata(secrets.token_hex(8), "group-" + secrets.token_hex(4))
            if new_device
            else None
        )
        return AuthStep(tokens=tokens, new_device=device)

    def initiate_auth(
        self, username: str, password: str, *, device_key: str | None = None
    ) -> AuthStep:
        self.calls.append("InitiateAuth")
        user = self.users.get(username)
        if user is None:
            if self.pool_hides_unknown_users:
                raise _error("NotAuthorizedException", INCORRECT)
            raise _error("UserNotFoundException", "User does not exist.")
        if user.password != password:
            raise _error("NotAuthorizedException", INCORRECT)
        if user.temporary_expired:
            raise _error("NotAuthorizedException", TEMPORARY_PASSWORD_EXPIRED)
        if not user.confirmed:
            raise _error("UserNotConfirmedException", "User is not confirmed.")
        if device_key is not None and device_key not in user.devices:
            raise _error("ResourceNotFoundException", "Device does not exist.")
        session = self._session(username)
        if user.required_attributes is not None:
            names = json.dumps([f"userAttributes.{n}" for n in user.required_attributes])
            parameters = {"USERNAME": username, "requiredAttributes": names}
            return AuthStep("NEW_PASSWORD_REQUIRED", parameters, session)
        if device_key is not None:
            return AuthStep("DEVICE_SRP_AUTH", {"USERNAME": username}, session)
        if user.mfa:
            return AuthStep("SOFTWARE_TOKEN_MFA", {"USERNAME": username}, session)
        return AuthStep("MFA_SETUP", {"USERNAME": username}, session)

    def respond(
        self,
        challenge: str,
        responses: Mapping[str, str],
        session: str | None,
        *,
        admin: bool = False,
    ) -> AuthStep:
        self.calls.append("RespondToAuthChallenge")
        username = responses["USERNAME"]
        answer = {
            "NEW_PASSWORD_REQUIRED": self._new_password,
            "SOFTWARE_TOKEN_MFA": self._software_token_mfa,
            "DEVICE_SRP_AUTH": self._device_srp_auth,
            "DEVICE_PASSWORD_VERIFIER": self._device_password_verifier,
        }[challenge]
        self._check_session(session or "")
        return answer(username, responses, session or "")

    def _software_token_mfa(
        self, username: str, responses: Mapping[str, str], session: str
    ) -> AuthStep:
        if responses["SOFTWARE_TOKEN_MFA_CODE"] != GOOD_TOTP:
            raise _error("CodeMismatchException", "Invalid code received for user")
        return self._tokens(username, new_device=True)

    def _new_password(self, username: str, responses: Mapping[str, str], session: str) -> AuthStep:
        user = self.users[username]
        prefix = "userAttributes."
        self.sent_attributes = {
            name.removeprefix(prefix): value
            for name, value in responses.items()
            if name.startswith(prefix)
        }
        user.password, user.required_attributes = responses["NEW_PASSWORD"], None
        return AuthStep("MFA_SETUP", {"USERNAME": username}, self._session(username))

    def _device_srp_auth(
        self, username: str, responses: Mapping[str, str], session: str
    ) -> AuthStep:
        """Real SRP, as Cognito does it (the local Cognito's server half), over the device
        password the fake user remembers."""
        key = responses["DEVICE_KEY"]
        password = self.users[username].devices.get(key)
        if password is None:
            raise _error("NotAuthorizedException", INCORRECT)
        salt = new_salt()
        handshake = ServerHandshake.start(compute_verifier(salt, DEVICE_GROUP, key, password))
        next_session = self._session(username)
        self._handshakes[next_session] = (handshake, parse_srp_a(responses["SRP_A"]), key)
        parameters = {
            "USERNAME": username,
            "DEVICE_KEY": key,
            "SALT": salt_hex(salt),
            "SRP_B": handshake.srp_b_hex,
            "SECRET_BLOCK": handshake.secret_block_b64,
        }
        return AuthStep("DEVICE_PASSWORD_VERIFIER", parameters, next_session)

    def _device_password_verifier(
        self, username: str, responses: Mapping[str, str], session: str
    ) -> AuthStep:
        session = next(
            s for s, (_, _, k) in self._handshakes.items() if k == responses["DEVICE_KEY"]
        )
        handshake, big_a, key = self._handshakes.pop(session)
        proven = handshake.verify_claim(
            big_a,
            DEVICE_GROUP,
            key,
            responses["TIMESTAMP"],
            responses["PASSWORD_CLAIM_SIGNATURE"],
        )
        if not proven:
            raise _error("NotAuthorizedException", INCORRECT)
        return self._tokens(username, new_device=False)

    def associate_software_token(
        self, *, session: str | None = None, access_token: str | None = None
    ) -> SoftwareTokenAssociation:
        self.calls.append("AssociateSoftwareToken")
        return SoftwareTokenAssociation("JBSWY3DPEHPK3PXP", session)

    def resend_confirmation_code(self, username: str) -> CodeDelivery:
        self.calls.append("ResendConfirmationCode")
        return CodeDelivery("a***@e***", "EMAIL", "email")

    def forget_device(self, access_token: str, device_key: str) -> None:
        self.calls.append("ForgetDevice")
        for user in self.users.values():
            user.devices.pop(device_key, None)

    def list_devices(self, access_token: str) -> list[Device]:
        self.calls.append("ListDevices")
        found = [key for user in self.users.values() for key in user.devices]
        return [Device(key, None, "valid", None, None) for key in found]

    def forgot_password(self, username: str) -> CodeDelivery:
        self.calls.append("ForgotPassword")
        user = self.users.get(username)
        if user is None:
            if self.pool_hides_unknown_users:
                return CodeDelivery("n***@e***", "EMAIL", "email")
            raise _error("UserNotFoundException", "Username/client id combination not found.")
        user.reset_code = RESET_CODE
        return CodeDelivery("a***@e***", "EMAIL", "email")

    def confirm_forgot_password(self, username: str, code: str, new_password: str) -> None:
        self.calls.append("ConfirmForgotPassword")
        user = self.users.get(username)
        if user is None or user.reset_code is None or code != user.reset_code:
            raise _error(
                "CodeMismatchException", "Invalid verification code provided, please try again."
            )
        if len(new_password) < 8:
            raise _error(
                "InvalidPasswordException",
                "Password did not conform with policy: Password not long enough",
            )
        user.password, user.reset_code = new_password, None

    def admin_create_user(
        self,
        username: str,
        *,
        email: str | None = None,
        temporary_password: str | None = None,
        attributes: Mapping[str, str] | None = None,
        resend: bool = False,
    ) -> CognitoUser:
        self.calls.append("AdminCreateUser")
        user = self.users.get(username)
        if resend and user is None:
            raise _error("UserNotFoundException", "User does not exist.")
        if resend and user is not None and not user.temporary_expired:
            raise _error("UnsupportedUserStateException", "User is not in FORCE_CHANGE_PASSWORD")
        if user is not None:
            user.temporary_expired = False
            user.password = "Temp-0rary-2!"
        return CognitoUser(username, "FORCE_CHANGE_PASSWORD", True, {})

    def confirm_device(
        self, access_token: str, new_device: NewDeviceMetadata, *, device_name: str
    ) -> tuple[RememberedDevice, bool]:
        self.calls.append("ConfirmDevice")
        if self.confirm_device_error:
            raise _error(*self.confirm_device_error)
        self.confirmed_devices[new_device.device_key] = device_name
        secret = "pw-" + secrets.token_hex(4)
        return RememberedDevice(new_device.device_key, new_device.device_group_key, secret), True

    def update_device_status(self, access_token: str, device_key: str, *, remembered: bool) -> None:
        self.calls.append("UpdateDeviceStatus")
        self.device_status[device_key] = remembered

    def global_sign_out(self, access_token: str) -> None:
        self.calls.append("GlobalSignOut")

    def revoke_token(self, refresh_token: str) -> None:
        self.calls.append("RevokeToken")
