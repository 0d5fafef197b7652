"""The Cognito gateway: every call the project makes to Cognito, one method per action.

Everything above this module (the BFF's flows, the CLI scenario, the admin endpoints) speaks
the project's types (``bff.cognito.types``) and errors (``bff.errors``). Each public method
below is the one place its request is built and sent; ``COGNITO_ACTIONS`` names, for each
Cognito action, the method whose source shows it best (docs/cognito-actions.md is generated
from those methods).

Conventions every method follows:

* ``SECRET_HASH`` / ``SecretHash`` is added whenever the app client has a secret:
  base64(HMAC-SHA256(client secret, username + client id)). After a challenge the username
  hashed is the ``USERNAME`` Cognito sent (its internal name, e.g. the ``sub`` in pools that
  sign in by email), not what the user typed.
* Every failure is raised as a ``bff.errors.CognitoError`` subclass by ``cognito_call``.
* Nothing secret is logged: ``cognito_call`` logs the action and the error code only.

API reference: https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bff.cognito import srp
from bff.cognito.error_translation import cognito_call
from bff.cognito.resilience import ResilientClient
from bff.cognito.settings import CognitoSettings, SettingsError, make_cognito_client
from bff.cognito.types import (
    AuthStep,
    CodeDelivery,
    CognitoUser,
    Device,
    DeviceSrpChallenge,
    NewDeviceMetadata,
    RememberedDevice,
    SignUpResult,
    SoftwareTokenAssociation,
    Tokens,
    UserPage,
)
from bff.errors import (
    CodeMismatch,
    CognitoError,
    DeviceNotFound,
    InvalidPaginationToken,
    InvalidParameter,
)

#: For each Cognito action, the gateway method whose source is its documented excerpt.
COGNITO_ACTIONS: dict[str, str] = {
    "SignUp": "sign_up",
    "ConfirmSignUp": "confirm_sign_up",
    "ResendConfirmationCode": "resend_confirmation_code",
    "AdminGetUser": "admin_get_user",
    "ListUsers": "list_users",
    "AdminCreateUser": "admin_create_user",
    "InitiateAuth": "initiate_auth",
    "AdminInitiateAuth": "admin_initiate_auth",
    "RespondToAuthChallenge": "respond_software_token_mfa",
    "AdminRespondToAuthChallenge": "respond_new_password",
    "AssociateSoftwareToken": "associate_software_token",
    "VerifySoftwareToken": "verify_software_token",
    "ConfirmDevice": "confirm_device",
    "UpdateDeviceStatus": "update_device_status",
    "ListDevices": "list_devices",
    "ForgetDevice": "forget_device",
    "GlobalSignOut": "global_sign_out",
    "RevokeToken": "revoke_token",
    "ForgotPassword": "forgot_password",
    "ConfirmForgotPassword": "confirm_forgot_password",
    "AdminResetUserPassword": "admin_reset_user_password",
    "ChangePassword": "change_password",
    "GetUser": "get_user",
    "SetUserMFAPreference": "set_user_mfa_preference",
}

# ListUsers and ListDevices accept at most 60 per page (API reference, "Limit").
MAX_PAGE_SIZE = 60
#: What ``probe`` sends as an access token: well-formed, and never a valid token.
READINESS_PROBE_TOKEN = "bff-readiness-probe"


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """Cognito's SECRET_HASH: base64(HMAC-SHA256(client secret, username + client id))."""
    digest = hmac.new(
        client_secret.encode(), (username + client_id).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def _attribute_list(attributes: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": str(value)} for name, value in attributes.items()]


def _attributes(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {item["Name"]: item.get("Value", "") for item in items or []}


def _code_delivery(details: Mapping[str, Any] | None) -> CodeDelivery | None:
    if not details:
        return None
    return CodeDelivery(
        destination=details.get("Destination"),
        delivery_medium=details.get("DeliveryMedium"),
        attribute_name=details.get("AttributeName"),
    )


def _user(data: Mapping[str, Any]) -> CognitoUser:
    """A CognitoUser from AdminGetUser's answer or one ``User``/``Users[]`` entry."""
    attributes = data.get("UserAttributes", data.get("Attributes"))
    return CognitoUser(
        username=data["Username"],
        status=data.get("UserStatus", "UNKNOWN"),
        enabled=bool(data.get("Enabled", True)),
        attributes=_attributes(attributes),
        created=data.get("UserCreateDate"),
        modified=data.get("UserLastModifiedDate"),
        mfa_preferred=data.get("PreferredMfaSetting"),
        mfa_enabled=tuple(data.get("UserMFASettingList") or ()),
    )


def _auth_step(response: Mapping[str, Any]) -> AuthStep:
    """An AuthStep from any InitiateAuth / RespondToAuthChallenge answer (admin or not)."""
    result = response.get("AuthenticationResult")
    tokens = new_device = None
    if result:
        tokens = Tokens(
            access_token=result["AccessToken"],
            id_token=result.get("IdToken", ""),
            refresh_token=result.get("RefreshToken"),
            expires_in=int(result.get("ExpiresIn", 3600)),
            token_type=result.get("TokenType", "Bearer"),
        )
        metadata = result.get("NewDeviceMetadata")
        if metadata:
            new_device = NewDeviceMetadata(
                device_key=metadata["DeviceKey"], device_group_key=metadata["DeviceGroupKey"]
            )
    return AuthStep(
        challenge_name=response.get("ChallengeName"),
        challenge_parameters=dict(response.get("ChallengeParameters") or {}),
        session=response.get("Session"),
        tokens=tokens,
        new_device=new_device,
    )


def _device(data: Mapping[str, Any]) -> Device:
    attributes = _attributes(data.get("DeviceAttributes"))
    return Device(
        device_key=data["DeviceKey"],
        name=attributes.get("device_name"),
        status=attributes.get("device_status"),
        created=data.get("DeviceCreateDate"),
        last_authenticated=data.get("DeviceLastAuthenticatedDate"),
        attributes=attributes,
    )


class CognitoGateway:
    """Every Cognito action the project uses, with the project's types and errors."""

    def __init__(
        self,
        client: Any,
        *,
        user_pool_id: str,
        client_id: str,
        client_secret: str | None = None,
    ) -> None:
        self._client = client
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self._client_secret = client_secret

    @classmethod
    def from_settings(cls, settings: CognitoSettings) -> CognitoGateway:
        """A gateway with a boto3 client built from ``settings`` (see make_cognito_client)."""
        if not settings.is_configured:
            raise SettingsError("COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID must both be set")
        return cls(
            ResilientClient(make_cognito_client(settings), max_attempts=settings.max_attempts),
            user_pool_id=settings.user_pool_id,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
        )

    def __repr__(self) -> str:
        return f"CognitoGateway(user_pool_id={self.user_pool_id!r}, client_id={self.client_id!r})"

    # -- SECRET_HASH -------------------------------------------------------------------

    def _secret_hash(self, username: str) -> dict[str, str]:
        """``{"SecretHash": ...}`` for the top-level parameter, or nothing without a secret."""
        if not self._client_secret:
            return {}
        return {"SecretHash": secret_hash(username, self.client_id, self._client_secret)}

    def _auth_parameters(self, username: str | None, **parameters: str | None) -> dict[str, str]:
        """AuthParameters / ChallengeResponses without ``None`` values, plus SECRET_HASH."""
        result = {name: value for name, value in parameters.items() if value is not None}
        if self._client_secret and username:
            result["SECRET_HASH"] = secret_hash(username, self.client_id, self._client_secret)
        return result

    # -- sign-up -----------------------------------------------------------------------

    def sign_up(
        self,
        username: str,
        password: str,
        *,
        email: str,
        attributes: Mapping[str, str] | None = None,
    ) -> SignUpResult:
        """Register a new user who signs up themselves (SignUp); Cognito sends a code."""
        user_attributes = {**(attributes or {}), "email": email}
        with cognito_call("SignUp"):
            response = self._client.sign_up(
                ClientId=self.client_id,
                Username=username,
                Password=password,
                UserAttributes=_attribute_list(user_attributes),
                **self._secret_hash(username),
            )
        return SignUpResult(
            user_sub=response["UserSub"],
            user_confirmed=bool(response.get("UserConfirmed")),
            code_delivery=_code_delivery(response.get("CodeDeliveryDetails")),
        )

    def confirm_sign_up(self, username: str, code: str) -> None:
        """Confirm a sign-up with the code Cognito sent (ConfirmSignUp)."""
        with cognito_call("ConfirmSignUp"):
            self._client.confirm_sign_up(
                ClientId=self.client_id,
                Username=username,
                ConfirmationCode=code,
                **self._secret_hash(username),
            )

    def resend_confirmation_code(self, username: str) -> CodeDelivery:
        """Send the sign-up confirmation code again (ResendConfirmationCode)."""
        with cognito_call("ResendConfirmationCode"):
            response = self._client.resend_confirmation_code(
                ClientId=self.client_id, Username=username, **self._secret_hash(username)
            )
        return _code_delivery(response.get("CodeDeliveryDetails")) or CodeDelivery(
            destination=None, delivery_medium=None, attribute_name=None
        )

    # -- password recovery ---------------------------------------------------------------

    def forgot_password(self, username: str) -> CodeDelivery:
        """Email a password reset code to the user's verified email (ForgotPassword).

        With PreventUserExistenceErrors an unknown user gets a simulated delivery, like a
        real one; the code is valid for one hour.
        """
        with cognito_call("ForgotPassword"):
            response = self._client.forgot_password(
                ClientId=self.client_id, Username=username, **self._secret_hash(username)
            )
        return _code_delivery(response.get("CodeDeliveryDetails")) or CodeDelivery(
            destination=None, delivery_medium=None, attribute_name=None
        )

    def confirm_forgot_password(self, username: str, code: str, new_password: str) -> None:
        """Set a new password with the emailed reset code (ConfirmForgotPassword)."""
        with cognito_call("ConfirmForgotPassword"):
            self._client.confirm_forgot_password(
                ClientId=self.client_id,
                Username=username,
                ConfirmationCode=code,
                Password=new_password,
                **self._secret_hash(username),
            )

    def admin_reset_user_password(self, username: str) -> None:
        """Require a password reset at the next sign-in and email a reset code, as an
        administrator (AdminResetUserPassword: the user's status becomes RESET_REQUIRED)."""
        with cognito_call("AdminResetUserPassword"):
            self._client.admin_reset_user_password(UserPoolId=self.user_pool_id, Username=username)

    # -- the signed-in user ----------------------------------------------------------------

    def change_password(self, access_token: str, previous: str, proposed: str) -> None:
        """Replace the signed-in user's password, checking the current one (ChangePassword)."""
        with cognito_call("ChangePassword"):
            self._client.change_password(
                AccessToken=access_token, PreviousPassword=previous, ProposedPassword=proposed
            )

    def get_user(self, access_token: str) -> CognitoUser:
        """The signed-in user, with the MFA settings (GetUser: ``UserMFASettingList``,
        ``PreferredMfaSetting``)."""
        with cognito_call("GetUser"):
            response = self._client.get_user(AccessToken=access_token)
        return _user(response)

    def set_user_mfa_preference(self, access_token: str) -> None:
        """Make the authenticator app (TOTP) the signed-in user's enabled and preferred MFA
        (SetUserMFAPreference)."""
        with cognito_call("SetUserMFAPreference"):
            self._client.set_user_mfa_preference(
                AccessToken=access_token,
                SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
            )

    # -- users (admin) -----------------------------------------------------------------

    def admin_get_user(self, username: str) -> CognitoUser:
        """Look a user up by username or alias, as an administrator (AdminGetUser)."""
        with cognito_call("AdminGetUser"):
            response = self._client.admin_get_user(UserPoolId=self.user_pool_id, Username=username)
        return _user(response)

    def list_users(
        self,
        *,
        filter: str | None = None,
        limit: int | None = None,
        pagination_token: str | None = None,
    ) -> UserPage:
        """One page of the pool's users, optionally filtered (ListUsers).

        ``filter`` is Cognito's syntax, e.g. ``email = "a@example.com"`` or
        ``email ^= "a"``; ``limit`` is 1 to 60.
        """
        if limit is not None and not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidParameter(f"limit must be between 1 and {MAX_PAGE_SIZE}.")
        request: dict[str, Any] = {"UserPoolId": self.user_pool_id}
        if filter:
            request["Filter"] = filter
        if limit is not None:
            request["Limit"] = limit
        if pagination_token:
            request["PaginationToken"] = pagination_token
        try:
            with cognito_call("ListUsers"):
                response = self._client.list_users(**request)
        except CognitoError as exc:
            # A token the caller made up or mangled: Cognito answers InvalidParameterException
            # (the local Cognito, like moto, InvalidToken). The caller's error, not ours.
            if pagination_token and (
                exc.cognito_code == "InvalidToken"
                or (isinstance(exc, InvalidParameter) and "token" in exc.message.lower())
            ):
                raise InvalidPaginationToken(cognito_code=exc.cognito_code) from exc
            raise
        return UserPage(
            users=[_user(user) for user in response.get("Users", [])],
            pagination_token=response.get("PaginationToken") or None,
        )

    def iter_users(self, *, filter: str | None = None) -> Iterator[CognitoUser]:
        """Every matching user, following ListUsers' PaginationToken page after page."""
        token: str | None = None
        while True:
            page = self.list_users(filter=filter, limit=MAX_PAGE_SIZE, pagination_token=token)
            yield from page.users
            if not page.pagination_token:
                return
            token = page.pagination_token

    def admin_create_user(
        self,
        username: str,
        *,
        email: str | None = None,
        temporary_password: str | None = None,
        attributes: Mapping[str, str] | None = None,
        resend: bool = False,
    ) -> CognitoUser:
        """Create a user with a temporary password Cognito emails them (AdminCreateUser).

        With ``resend=True`` the user must exist in FORCE_CHANGE_PASSWORD: Cognito sends the
        invitation again with a new temporary password and a new expiry
        (``MessageAction=RESEND``); attributes are then not sent, Cognito ignores them.
        Without a ``temporary_password`` Cognito generates one that meets the pool's policy.
        """
        request: dict[str, Any] = {"UserPoolId": self.user_pool_id, "Username": username}
        if temporary_password is not None:
            request["TemporaryPassword"] = temporary_password
        if email is not None:
            request["DesiredDeliveryMediums"] = ["EMAIL"]
        if resend:
            request["MessageAction"] = "RESEND"
        else:
            user_attributes = dict(attributes or {})
            if email is not None:
                user_attributes["email"] = email
            if user_attributes:
                request["UserAttributes"] = _attribute_list(user_attributes)
        with cognito_call("AdminCreateUser"):
            response = self._client.admin_create_user(**request)
        return _user(response["User"])

    # -- sign-in -----------------------------------------------------------------------

    def initiate_auth(
        self, username: str, password: str, *, device_key: str | None = None
    ) -> AuthStep:
        """Start a sign-in with username and password (InitiateAuth, USER_PASSWORD_AUTH).

        With a remembered device's ``device_key``, Cognito answers DEVICE_SRP_AUTH instead
        of an MFA challenge (see ``sign_in_with_device``).
        """
        with cognito_call("InitiateAuth"):
            response = self._client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters=self._auth_parameters(
                    username, USERNAME=username, PASSWORD=password, DEVICE_KEY=device_key
                ),
            )
        return _auth_step(response)

    def initiate_srp_auth(
        self, username: str, password: str, *, device_key: str | None = None
    ) -> AuthStep:
        """Sign in without sending the password (InitiateAuth, USER_SRP_AUTH).

        Sends SRP_A, answers Cognito's PASSWORD_VERIFIER itself (RespondToAuthChallenge with
        PASSWORD_CLAIM_SIGNATURE) and returns the step after it: MFA, DEVICE_SRP_AUTH,
        NEW_PASSWORD_REQUIRED or tokens.
        """
        ephemeral = srp.SrpEphemeral.generate()
        with cognito_call("InitiateAuth"):
            response = self._client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_SRP_AUTH",
                AuthParameters=self._auth_parameters(
                    username, USERNAME=username, SRP_A=ephemeral.srp_a, DEVICE_KEY=device_key
                ),
            )
        step = _auth_step(response)
        if step.challenge_name != "PASSWORD_VERIFIER":
            return step
        try:
            claim = srp.password_verifier_responses(
                ephemeral,
                user_pool_id=self.user_pool_id,
                password=password,
                challenge_parameters=step.challenge_parameters,
            )
        except srp.InvalidSrpParameters as error:
            raise CognitoError(f"Cognito's PASSWORD_VERIFIER is unusable: {error}") from None
        responses = self._auth_parameters(claim["USERNAME"], **claim, DEVICE_KEY=device_key)
        request: dict[str, Any] = {
            "ClientId": self.client_id,
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeResponses": responses,
        }
        if step.session:
            request["Session"] = step.session
        with cognito_call("RespondToAuthChallenge"):
            response = self._client.respond_to_auth_challenge(**request)
        return _auth_step(response)

    def admin_initiate_auth(
        self, username: str, password: str, *, device_key: str | None = None
    ) -> AuthStep:
        """Start a sign-in from the server (AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH)."""
        with cognito_call("AdminInitiateAuth"):
            response = self._client.admin_initiate_auth(
                UserPoolId=self.user_pool_id,
                ClientId=self.client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters=self._auth_parameters(
                    username, USERNAME=username, PASSWORD=password, DEVICE_KEY=device_key
                ),
            )
        return _auth_step(response)

    def refresh_tokens(
        self,
        refresh_token: str,
        *,
        username: str | None = None,
        device_key: str | None = None,
    ) -> AuthStep:
        """New access and ID tokens from a refresh token (InitiateAuth, REFRESH_TOKEN_AUTH).

        With a client secret, SECRET_HASH must be computed over the user's *internal*
        Cognito username (the ``cognito:username`` / ``username`` claim of the tokens, the
        ``sub`` in pools that sign in by email), not what the user typed: hashing the typed
        email fails with "SecretHash does not match". The InitiateAuth API reference lists
        SECRET_HASH as required for REFRESH_TOKEN_AUTH when the client has a secret; which
        name to hash is a field report (aws-sdk-net-extensions-cognito #35, #94;
        https://qiita.com/nori3tsu/items/7fa72c297f93efd0b3bb). The answer usually carries
        no new refresh token: keep the old one.
        """
        if self._client_secret and not username:
            raise InvalidParameter(
                "Refreshing with a client secret needs the user's Cognito username (sub)."
            )
        with cognito_call("InitiateAuth"):
            response = self._client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters=self._auth_parameters(
                    username, REFRESH_TOKEN=refresh_token, DEVICE_KEY=device_key
                ),
            )
        return _auth_step(response)

    # -- challenges --------------------------------------------------------------------

    def respond_new_password(
        self,
        username: str,
        new_password: str,
        session: str,
        *,
        attributes: Mapping[str, str] | None = None,
        admin: bool = False,
    ) -> AuthStep:
        """Set the user's own password at NEW_PASSWORD_REQUIRED ((Admin)RespondToAuthChallenge).

        ``attributes`` fills the challenge's ``requiredAttributes`` (sent as
        ``userAttributes.<name>``); ``username`` is ``step.challenge_username(...)``.
        """
        responses = self._auth_parameters(username, USERNAME=username, NEW_PASSWORD=new_password)
        for name, value in (attributes or {}).items():
            responses[f"userAttributes.{name}"] = str(value)
        request = {
            "ClientId": self.client_id,
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "ChallengeResponses": responses,
            "Session": session,
        }
        if admin:
            with cognito_call("AdminRespondToAuthChallenge"):
                response = self._client.admin_respond_to_auth_challenge(
                    UserPoolId=self.user_pool_id, **request
                )
        else:
            with cognito_call("RespondToAuthChallenge"):
                response = self._client.respond_to_auth_challenge(**request)
        return _auth_step(response)

    def respond_mfa_setup(self, username: str, session: str, *, admin: bool = False) -> AuthStep:
        """Finish MFA_SETUP once the app is verified ((Admin)RespondToAuthChallenge).

        ``session`` is the one VerifySoftwareToken returned, not the challenge's.
        """
        request = {
            "ClientId": self.client_id,
            "ChallengeName": "MFA_SETUP",
            "ChallengeResponses": self._auth_parameters(username, USERNAME=username),
            "Session": session,
        }
        if admin:
            with cognito_call("AdminRespondToAuthChallenge"):
                response = self._client.admin_respond_to_auth_challenge(
                    UserPoolId=self.user_pool_id, **request
                )
        else:
            with cognito_call("RespondToAuthChallenge"):
                response = self._client.respond_to_auth_challenge(**request)
        return _auth_step(response)

    def respond_software_token_mfa(
        self, username: str, code: str, session: str, *, admin: bool = False
    ) -> AuthStep:
        """Answer SOFTWARE_TOKEN_MFA with the app's code ((Admin)RespondToAuthChallenge)."""
        request = {
            "ClientId": self.client_id,
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "ChallengeResponses": self._auth_parameters(
                username, USERNAME=username, SOFTWARE_TOKEN_MFA_CODE=code
            ),
            "Session": session,
        }
        if admin:
            with cognito_call("AdminRespondToAuthChallenge"):
                response = self._client.admin_respond_to_auth_challenge(
                    UserPoolId=self.user_pool_id, **request
                )
        else:
            with cognito_call("RespondToAuthChallenge"):
                response = self._client.respond_to_auth_challenge(**request)
        return _auth_step(response)

    # -- remembered devices: sign-in -----------------------------------------------------

    def respond_device_srp_auth(
        self, username: str, device: RememberedDevice, session: str
    ) -> DeviceSrpChallenge:
        """Start the device proof: DEVICE_SRP_AUTH with a fresh SRP_A (RespondToAuthChallenge).

        Returns Cognito's DEVICE_PASSWORD_VERIFIER step and the SRP secret that
        ``respond_device_password_verifier`` needs.
        """
        ephemeral = srp.SrpEphemeral.generate()
        with cognito_call("RespondToAuthChallenge"):
            response = self._client.respond_to_auth_challenge(
                ClientId=self.client_id,
                ChallengeName="DEVICE_SRP_AUTH",
                ChallengeResponses=self._auth_parameters(
                    username, USERNAME=username, DEVICE_KEY=device.device_key, SRP_A=ephemeral.srp_a
                ),
                Session=session,
            )
        step = _auth_step(response)
        if step.challenge_name != "DEVICE_PASSWORD_VERIFIER":
            raise CognitoError(
                f"Expected DEVICE_PASSWORD_VERIFIER after DEVICE_SRP_AUTH, got "
                f"{step.challenge_name or 'tokens'}."
            )
        return DeviceSrpChallenge(
            username=step.challenge_parameters.get("USERNAME") or username,
            device=device,
            step=step,
            srp_small_a=ephemeral.small_a,
            srp_large_a=ephemeral.large_a,
        )

    def respond_device_password_verifier(self, challenge: DeviceSrpChallenge) -> AuthStep:
        """Prove the device holds its password (RespondToAuthChallenge, DEVICE_PASSWORD_VERIFIER).

        Returns the tokens: a remembered device is not asked for an MFA code.
        """
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
            raise CognitoError(f"Cognito's DEVICE_PASSWORD_VERIFIER is unusable: {error}") from None
        claim.setdefault("USERNAME", challenge.username)
        request: dict[str, Any] = {
            "ClientId": self.client_id,
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "ChallengeResponses": self._auth_parameters(claim["USERNAME"], **claim),
        }
        if challenge.step.session:
            request["Session"] = challenge.step.session
        with cognito_call("RespondToAuthChallenge"):
            response = self._client.respond_to_auth_challenge(**request)
        return _auth_step(response)

    def sign_in_with_device(
        self, username: str, device: RememberedDevice, session: str
    ) -> AuthStep:
        """Both device rounds after a sign-in answered DEVICE_SRP_AUTH: tokens without MFA."""
        return self.respond_device_password_verifier(
            self.respond_device_srp_auth(username, device, session)
        )

    # -- MFA setup -----------------------------------------------------------------------

    def associate_software_token(
        self, *, session: str | None = None, access_token: str | None = None
    ) -> SoftwareTokenAssociation:
        """Get a new TOTP secret for an authenticator app (AssociateSoftwareToken).

        During sign-in's MFA_SETUP pass the challenge ``session``; a signed-in user adding
        MFA passes their ``access_token``. Exactly one of the two.
        """
        if (session is None) == (access_token is None):
            raise InvalidParameter("Pass exactly one of session and access_token.")
        request = {"Session": session} if session is not None else {"AccessToken": access_token}
        with cognito_call("AssociateSoftwareToken"):
            response = self._client.associate_software_token(**request)
        return SoftwareTokenAssociation(
            secret_code=response["SecretCode"], session=response.get("Session")
        )

    def verify_software_token(
        self,
        code: str,
        *,
        session: str | None = None,
        access_token: str | None = None,
        friendly_device_name: str | None = None,
    ) -> str | None:
        """Register the authenticator app by checking its first code (VerifySoftwareToken).

        Returns the new Session to answer MFA_SETUP with (None when verified with an access
        token). A wrong code raises CodeMismatch.
        """
        if (session is None) == (access_token is None):
            raise InvalidParameter("Pass exactly one of session and access_token.")
        request: dict[str, Any] = {"UserCode": code}
        if session is not None:
            request["Session"] = session
        else:
            request["AccessToken"] = access_token
        if friendly_device_name:
            request["FriendlyDeviceName"] = friendly_device_name
        with cognito_call("VerifySoftwareToken"):
            response = self._client.verify_software_token(**request)
        if response.get("Status") != "SUCCESS":
            raise CodeMismatch()  # a 200 with Status ERROR: Cognito sent no error code
        next_session: str | None = response.get("Session")
        return next_session

    # -- remembered devices: management ------------------------------------------------

    def confirm_device(
        self, access_token: str, new_device: NewDeviceMetadata, *, device_name: str
    ) -> tuple[RememberedDevice, bool]:
        """Register the device Cognito offered at sign-in (ConfirmDevice).

        Generates the device password, salt and SRP verifier here (only the verifier and
        salt go to Cognito). Returns the device's client-side secrets, to keep encrypted on
        the server, and whether Cognito wants UpdateDeviceStatus(remembered) to remember it
        (``UserConfirmationNecessary``: the pool's "remember devices: user opt-in").
        """
        verifier = srp.generate_device_verifier(new_device.device_group_key, new_device.device_key)
        with cognito_call("ConfirmDevice"):
            response = self._client.confirm_device(
                AccessToken=access_token,
                DeviceKey=new_device.device_key,
                DeviceSecretVerifierConfig=verifier.verifier_config(),
                DeviceName=device_name,
            )
        device = RememberedDevice(
            device_key=new_device.device_key,
            device_group_key=new_device.device_group_key,
            device_password=verifier.device_password,
        )
        return device, bool(response.get("UserConfirmationNecessary"))

    def update_device_status(self, access_token: str, device_key: str, *, remembered: bool) -> None:
        """Mark a confirmed device remembered or not (UpdateDeviceStatus)."""
        with cognito_call("UpdateDeviceStatus"):
            self._client.update_device_status(
                AccessToken=access_token,
                DeviceKey=device_key,
                DeviceRememberedStatus="remembered" if remembered else "not_remembered",
            )

    def list_devices(self, access_token: str) -> list[Device]:
        """The signed-in user's tracked devices, every page (ListDevices)."""
        devices: list[Device] = []
        request: dict[str, Any] = {"AccessToken": access_token, "Limit": MAX_PAGE_SIZE}
        while True:
            with cognito_call("ListDevices"):
                response = self._client.list_devices(**request)
            devices.extend(_device(item) for item in response.get("Devices", []))
            token = response.get("PaginationToken")
            if not token:
                return devices
            request["PaginationToken"] = token

    def forget_device(self, access_token: str, device_key: str) -> None:
        """Stop tracking a device: its next sign-in asks for MFA again (ForgetDevice).

        A key Cognito does not know for this user (ResourceNotFoundException, "Device does
        not exist") is ``DeviceNotFound`` (404): the caller named it.
        """
        try:
            with cognito_call("ForgetDevice"):
                self._client.forget_device(AccessToken=access_token, DeviceKey=device_key)
        except CognitoError as exc:
            if exc.cognito_code == "ResourceNotFoundException":
                raise DeviceNotFound(cognito_code=exc.cognito_code) from exc
            raise

    # -- sign-out ------------------------------------------------------------------------

    def global_sign_out(self, access_token: str) -> None:
        """Invalidate all of the user's refresh tokens, everywhere (GlobalSignOut)."""
        with cognito_call("GlobalSignOut"):
            self._client.global_sign_out(AccessToken=access_token)

    def revoke_token(self, refresh_token: str) -> None:
        """Revoke one refresh token and the access tokens it issued (RevokeToken)."""
        request = {"Token": refresh_token, "ClientId": self.client_id}
        if self._client_secret:
            request["ClientSecret"] = self._client_secret
        with cognito_call("RevokeToken"):
            self._client.revoke_token(**request)

    # -- readiness -----------------------------------------------------------------------

    def probe(self) -> str | None:
        """Whether Cognito answers: None when it does, else what went wrong (no secrets).

        Sends GetUser with a token that is not one: Cognito answers NotAuthorizedException
        without any credentials, so the call proves that the endpoint is reachable and
        serving without touching a user (GetUser, API reference: "NotAuthorizedException").
        A 5xx answer or no answer at all means it is not ready.
        """
        try:
            self._client.get_user(AccessToken=READINESS_PROBE_TOKEN)
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if status >= 500:
                return f"Cognito answered {status} {error.response.get('Error', {}).get('Code')}"
            return None
        except BotoCoreError as error:
            return f"Cognito is unreachable ({type(error).__name__})"
        return None
