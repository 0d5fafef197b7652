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

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bff.cognito import wire
from bff.cognito.admin_actions import AdminActions
from bff.cognito.choice_actions import ChoiceActions
from bff.cognito.device_actions import DeviceActions
from bff.cognito.error_translation import cognito_call
from bff.cognito.mfa_actions import MfaActions
from bff.cognito.passkey_actions import PasskeyActions
from bff.cognito.refresh_actions import RefreshActions
from bff.cognito.resilience import ResilientClient
from bff.cognito.settings import CognitoSettings, SettingsError, make_cognito_client
from bff.cognito.types import (
    AuthStep,
    CodeDelivery,
    CognitoUser,
    SignUpResult,
    SoftwareTokenAssociation,
    SoftwareTokenVerification,
)
from bff.cognito.wire import MAX_PAGE_SIZE, secret_hash
from bff.errors import InvalidParameter

__all__ = ["MAX_PAGE_SIZE", "READINESS_PROBE_TOKEN", "CognitoGateway", "secret_hash"]

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
    "RespondToAuthChallenge": "respond",
    "AdminRespondToAuthChallenge": "respond",
    "AssociateSoftwareToken": "associate_software_token",
    "VerifySoftwareToken": "verify_software_token",
    "ConfirmDevice": "confirm_device",
    "UpdateDeviceStatus": "update_device_status",
    "ListDevices": "list_devices",
    "ForgetDevice": "forget_device",
    "GlobalSignOut": "global_sign_out",
    "RevokeToken": "revoke_token",
    "GetTokensFromRefreshToken": "get_tokens_from_refresh_token",
    "ForgotPassword": "forgot_password",
    "ConfirmForgotPassword": "confirm_forgot_password",
    "AdminResetUserPassword": "admin_reset_user_password",
    "ChangePassword": "change_password",
    "GetUser": "get_user",
    "SetUserMFAPreference": "set_user_mfa_preference",
    "GetUserAuthFactors": "get_user_auth_factors",
    "StartWebAuthnRegistration": "start_passkey_registration",
    "CompleteWebAuthnRegistration": "complete_passkey_registration",
    "ListWebAuthnCredentials": "list_passkeys",
    "DeleteWebAuthnCredential": "delete_passkey",
}

#: What ``probe`` sends as an access token: well-formed, and never a valid token.
READINESS_PROBE_TOKEN = "bff-readiness-probe"


class CognitoGateway(
    AdminActions, ChoiceActions, DeviceActions, RefreshActions, PasskeyActions, MfaActions
):
    """Every Cognito action the project uses, with the project's types and errors."""

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
            refresh_rotation=settings.refresh_rotation,
        )

    def __repr__(self) -> str:
        return f"CognitoGateway(user_pool_id={self.user_pool_id!r}, client_id={self.client_id!r})"

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
                UserAttributes=wire.attribute_list(user_attributes),
                **self._secret_hash(username),
            )
        return SignUpResult(
            user_sub=response["UserSub"],
            user_confirmed=bool(response.get("UserConfirmed")),
            code_delivery=wire.code_delivery(response.get("CodeDeliveryDetails")),
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
        return wire.code_delivery(response.get("CodeDeliveryDetails")) or CodeDelivery(
            destination=None, delivery_medium=None, attribute_name=None
        )

    def forgot_password(self, username: str) -> CodeDelivery:
        """Email a password reset code to the user's verified email (ForgotPassword).

        With PreventUserExistenceErrors an unknown user gets a simulated delivery, like a
        real one; the code is valid for one hour.
        """
        with cognito_call("ForgotPassword"):
            response = self._client.forgot_password(
                ClientId=self.client_id, Username=username, **self._secret_hash(username)
            )
        return wire.code_delivery(response.get("CodeDeliveryDetails")) or CodeDelivery(
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
        return wire.user(response)

    def set_user_mfa_preference(self, access_token: str) -> None:
        """Make the authenticator app (TOTP) the signed-in user's enabled and preferred MFA
        (SetUserMFAPreference)."""
        with cognito_call("SetUserMFAPreference"):
            self._client.set_user_mfa_preference(
                AccessToken=access_token,
                SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
            )

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
        return wire.auth_step(response)

    def respond(
        self,
        challenge: str,
        responses: Mapping[str, str],
        session: str | None,
        *,
        admin: bool = False,
    ) -> AuthStep:
        """Answer a challenge ((Admin)RespondToAuthChallenge) with its ChallengeResponses.

        ``responses`` name the user as Cognito's challenge did (``USERNAME``); SECRET_HASH
        is added over that name. Each challenge's responses are built by its handler
        (bff.flows.challenges); ``admin`` answers with server-side credentials.
        """
        request: dict[str, Any] = {
            "ClientId": self.client_id,
            "ChallengeName": challenge,
            "ChallengeResponses": self._auth_parameters(responses.get("USERNAME"), **responses),
        }
        if session:
            request["Session"] = session
        if admin:
            with cognito_call("AdminRespondToAuthChallenge"):
                response = self._client.admin_respond_to_auth_challenge(
                    UserPoolId=self.user_pool_id, **request
                )
        else:
            with cognito_call("RespondToAuthChallenge"):
                response = self._client.respond_to_auth_challenge(**request)
        return wire.auth_step(response)

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
    ) -> SoftwareTokenVerification:
        """Register the authenticator app by checking its first code (VerifySoftwareToken).

        Returns Cognito's Status and the new Session to answer MFA_SETUP with (None when
        verified with an access token). A wrong code raises CodeMismatch.
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
        return SoftwareTokenVerification(
            status=str(response.get("Status") or "ERROR"), session=response.get("Session")
        )

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
