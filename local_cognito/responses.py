"""The wire layer: Cognito's JSON 1.1 actions, dispatched to the local backend.

A subclass of moto's ``CognitoIdpResponse`` bound to one private ``LocalCognitoBackend``
(moto's own picks a backend from its global registry by region, which is why GlobalSignOut
and friends fail in moto's server mode outside us-east-1). It adds the actions moto lacks
(ResendConfirmationCode, RevokeToken, GetTokensFromRefreshToken, the device actions, the
passkey actions of webauthn.py) and
passes the extra parameters (SecretHash, UserPoolId) moto's handlers drop.
"""

from __future__ import annotations

import json
from typing import Any, cast

from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import ActionResult, EmptyResult
from werkzeug.exceptions import HTTPException

from . import choice, rotation, webauthn
from .fidelity import LocalCognitoBackend

# Actions whose AccessToken is checked for revocation/expiry before moto sees it.
_TOKEN_EXEMPT = {"RevokeToken"}


class LocalCognitoResponse(CognitoIdpResponse):
    """moto's Cognito response handler, bound to our backend, plus the missing actions."""

    def __init__(self, backend: LocalCognitoBackend) -> None:
        super().__init__()
        self._local_backend = backend

    @property
    def backend(self) -> LocalCognitoBackend:
        return self._local_backend

    def _get_region_agnostic_backend(self) -> LocalCognitoBackend:  # type: ignore[override]
        return self._local_backend

    def call_action(self) -> Any:
        # Cognito answers "Access Token has been revoked" (or expired) for any action taking
        # an AccessToken; moto only knows live tokens and says "Invalid token" or worse.
        action = self._get_action()
        try:
            body = json.loads(self.body or "{}")
        except (TypeError, ValueError):
            body = {}
        if action not in _TOKEN_EXEMPT and isinstance(body, dict) and body.get("AccessToken"):
            try:
                self.backend.check_access_token(str(body["AccessToken"]))
            except HTTPException as error:
                headers = dict(self.response_headers)
                headers.update(dict(error.get_headers() or []))
                return error.code, headers, error.get_body()
        return super().call_action()

    def sign_up(self) -> ActionResult:
        user, delivery = self.backend.sign_up(
            client_id=self._get_param("ClientId"),
            username=self._get_param("Username"),
            password=self._get_param("Password"),
            attributes=self._get_param("UserAttributes", []),
            secret_hash=self._get_param("SecretHash"),
        )
        response: dict[str, Any] = {"UserConfirmed": False, "UserSub": user.id}
        if delivery:
            response["CodeDeliveryDetails"] = delivery
        return ActionResult(response)

    def confirm_sign_up(self) -> ActionResult:
        self.backend.confirm_sign_up_with_code(
            self._get_param("ClientId"),
            self._get_param("Username"),
            self._get_param("ConfirmationCode"),
            self._get_param("SecretHash"),
        )
        return EmptyResult()

    def resend_confirmation_code(self) -> ActionResult:
        delivery = self.backend.resend_confirmation_code(
            self._get_param("ClientId"), self._get_param("Username"), self._get_param("SecretHash")
        )
        return ActionResult({"CodeDeliveryDetails": delivery})

    def admin_respond_to_auth_challenge(self) -> ActionResult:
        result = self.backend.admin_respond_to_auth_challenge(
            self._get_param("Session"),
            self._get_param("ClientId"),
            self._get_param("ChallengeName"),
            self._get_param("ChallengeResponses"),
            self._get_param("UserPoolId"),
        )
        return ActionResult(result)

    def revoke_token(self) -> ActionResult:
        self.backend.revoke_token(
            self._get_param("Token"), self._get_param("ClientId"), self._get_param("ClientSecret")
        )
        return EmptyResult()

    def get_tokens_from_refresh_token(self) -> ActionResult:
        return ActionResult(
            rotation.get_tokens_from_refresh_token(
                self.backend,
                self._get_param("RefreshToken"),
                self._get_param("ClientId"),
                self._get_param("ClientSecret"),
                self._get_param("DeviceKey"),
            )
        )

    # moto routes these through its global registry and drops SecretHash; ours has one backend.

    def forgot_password(self) -> ActionResult:
        return ActionResult(
            self.backend.forgot_password(
                self._get_param("ClientId"),
                self._get_param("Username"),
                self._get_param("SecretHash"),
            )
        )

    def confirm_forgot_password(self) -> ActionResult:
        self.backend.confirm_forgot_password(
            self._get_param("ClientId"),
            self._get_param("Username"),
            self._get_param("Password"),
            self._get_param("ConfirmationCode"),
            self._get_param("SecretHash"),
        )
        return EmptyResult()

    def change_password(self) -> ActionResult:
        self.backend.change_password(
            self._get_param("AccessToken"),
            self._get_param("PreviousPassword"),
            self._get_param("ProposedPassword"),
        )
        return EmptyResult()

    def set_user_mfa_preference(self) -> ActionResult:
        self.backend.set_user_mfa_preference(
            self._get_param("AccessToken"),
            self._get_param("SoftwareTokenMfaSettings"),
            self._get_param("SMSMfaSettings"),
        )
        choice.set_email_mfa_preference(
            self.backend, self._get_param("AccessToken"), self._get_param("EmailMfaSettings")
        )
        return EmptyResult()

    # Email MFA and choice-based sign-in (choice.py), passkeys (webauthn.py): moto knows
    # none. Both configurations are checked before anything changes; without
    # MfaConfiguration (moto requires it) the MFA settings stay as they were.

    def set_user_pool_mfa_config(self) -> ActionResult:
        pool_id = self._get_param("UserPoolId")
        pool = self.backend.describe_user_pool(pool_id)
        email = self._get_param("EmailMfaConfiguration")
        choice.check_email_mfa_config(self.backend, pool_id, email)
        passkeys = webauthn.checked_configuration(pool, self._get_param("WebAuthnConfiguration"))
        if self._get_param("MfaConfiguration") is None:
            result: dict[str, Any] = self.backend.get_user_pool_mfa_config(pool_id)
        else:
            result = cast(dict[str, Any], super().set_user_pool_mfa_config().result)
        if passkeys is not None:
            webauthn.configure(self.backend, pool_id, passkeys)
        result = choice.with_email_mfa_config(self.backend, pool_id, result, email)
        return ActionResult(result | webauthn.described(self.backend, pool))

    def get_user_pool_mfa_config(self) -> ActionResult:
        pool_id = self._get_param("UserPoolId")
        pool = self.backend.describe_user_pool(pool_id)
        result = super().get_user_pool_mfa_config().result
        result = choice.with_email_mfa_config(self.backend, pool_id, result)
        return ActionResult(result | webauthn.described(self.backend, pool))

    def get_user_auth_factors(self) -> ActionResult:
        return ActionResult(choice.user_auth_factors(self.backend, self._get_param("AccessToken")))

    # MFAOptions is the legacy form of the SMS MFA settings ("no longer supported", API
    # reference, GetUser); UserMFASettingList says what it said. moto always answers an
    # empty list, which Cognito never sends: the key is left out.

    @staticmethod
    def _without_mfa_options(result: ActionResult) -> ActionResult:
        body = result.result
        if isinstance(body, dict):
            for user in [body, *body.get("Users", [])]:
                if isinstance(user, dict) and not user.get("MFAOptions"):
                    user.pop("MFAOptions", None)
        return result

    def admin_get_user(self) -> ActionResult:
        user = self._admin_user()
        return choice.with_email_mfa(
            self.backend, user, self._without_mfa_options(super().admin_get_user())
        )

    def get_user(self) -> ActionResult:
        user = self._token_user()
        return choice.with_email_mfa(
            self.backend, user, self._without_mfa_options(super().get_user())
        )

    def list_users(self) -> ActionResult:
        return self._without_mfa_options(super().list_users())

    def list_users_in_group(self) -> ActionResult:
        return self._without_mfa_options(super().list_users_in_group())

    def confirm_device(self) -> ActionResult:
        necessary = self.backend.confirm_device(
            self._get_param("AccessToken"),
            self._get_param("DeviceKey"),
            self._get_param("DeviceSecretVerifierConfig"),
            self._get_param("DeviceName"),
        )
        return ActionResult({"UserConfirmationNecessary": necessary})

    # Each device action comes as a pair: the user's own (the AccessToken names the user) and
    # the admin's (UserPoolId + Username name it); after that lookup both do the same.

    def _token_user(self) -> Any:
        _, user = self.backend.user_from_access_token(self._get_param("AccessToken"))
        return user

    def _admin_user(self) -> Any:
        return self.backend.admin_get_user(
            self._get_param("UserPoolId"), self._get_param("Username")
        )

    def _device_status(self, user: Any) -> ActionResult:
        self.backend.update_device_status(
            user, self._get_param("DeviceKey"), self._get_param("DeviceRememberedStatus")
        )
        return EmptyResult()

    def _devices_page(self, user: Any) -> ActionResult:
        devices, token = self.backend.list_devices(
            user, self._get_param("Limit"), self._get_param("PaginationToken")
        )
        response: dict[str, Any] = {"Devices": [d.to_json() for d in devices]}
        if token:
            response["PaginationToken"] = token
        return ActionResult(response)

    def _device(self, user: Any) -> ActionResult:
        device = self.backend._device_of(user, self._get_param("DeviceKey"))
        return ActionResult({"Device": device.to_json()})

    def _forget(self, user: Any) -> ActionResult:
        self.backend.forget_device(user, self._get_param("DeviceKey"))
        return EmptyResult()

    def update_device_status(self) -> ActionResult:
        return self._device_status(self._token_user())

    def admin_update_device_status(self) -> ActionResult:
        return self._device_status(self._admin_user())

    def list_devices(self) -> ActionResult:
        return self._devices_page(self._token_user())

    def admin_list_devices(self) -> ActionResult:
        return self._devices_page(self._admin_user())

    def get_device(self) -> ActionResult:
        return self._device(self._token_user())

    def admin_get_device(self) -> ActionResult:
        return self._device(self._admin_user())

    def forget_device(self) -> ActionResult:
        return self._forget(self._token_user())

    def admin_forget_device(self) -> ActionResult:
        return self._forget(self._admin_user())

    # Passkeys (webauthn.py).

    def start_web_authn_registration(self) -> ActionResult:
        return ActionResult(
            webauthn.start_registration(self.backend, self._get_param("AccessToken"))
        )

    def complete_web_authn_registration(self) -> ActionResult:
        webauthn.complete_registration(
            self.backend, self._get_param("AccessToken"), self._get_param("Credential")
        )
        return EmptyResult()

    def list_web_authn_credentials(self) -> ActionResult:
        return ActionResult(
            webauthn.list_credentials(
                self.backend,
                self._get_param("AccessToken"),
                self._get_param("MaxResults"),
                self._get_param("NextToken"),
            )
        )

    def delete_web_authn_credential(self) -> ActionResult:
        webauthn.delete_credential(
            self.backend, self._get_param("AccessToken"), self._get_param("CredentialId")
        )
        return EmptyResult()
