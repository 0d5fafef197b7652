"""The gateway's actions for choice-based sign-in and the user's sign-in factors
(bff.cognito.gateway composes them).

Choice-based sign-in is InitiateAuth with ``AuthFlow=USER_AUTH`` (app client
``ALLOW_USER_AUTH``, Essentials plan or higher): AuthParameters ``USERNAME`` and, optionally,
``PREFERRED_CHALLENGE`` with what that factor needs (``PASSWORD``, ``SRP_A``). Names as in
the API reference (InitiateAuth "AuthParameters", GetUserAuthFactors, SetUserMFAPreference
"EmailMfaSettings") and botocore's cognito-idp model.
"""

from __future__ import annotations

from collections.abc import Mapping

from bff.cognito import wire
from bff.cognito.error_translation import cognito_call
from bff.cognito.gateway_base import GatewayBase
from bff.cognito.types import AuthStep, UserAuthFactors


class ChoiceActions(GatewayBase):
    """InitiateAuth USER_AUTH, GetUserAuthFactors, email MFA preference."""

    def initiate_user_auth(
        self,
        username: str,
        *,
        preferred: str | None = None,
        parameters: Mapping[str, str] | None = None,
        device_key: str | None = None,
    ) -> AuthStep:
        """Start a choice-based sign-in (InitiateAuth, USER_AUTH).

        Without ``preferred`` Cognito answers SELECT_CHALLENGE with ``AvailableChallenges``;
        with it, that factor's challenge at once (``parameters``: what the factor needs).
        """
        with cognito_call("InitiateAuth"):
            response = self._client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_AUTH",
                AuthParameters=self._auth_parameters(
                    username,
                    USERNAME=username,
                    PREFERRED_CHALLENGE=preferred,
                    DEVICE_KEY=device_key,
                    **dict(parameters or {}),
                ),
            )
        return wire.auth_step(response)

    def get_user_auth_factors(self, access_token: str) -> UserAuthFactors:
        """The signed-in user's sign-in factors and MFA settings (GetUserAuthFactors)."""
        with cognito_call("GetUserAuthFactors"):
            response = self._client.get_user_auth_factors(AccessToken=access_token)
        return UserAuthFactors(
            username=str(response.get("Username") or ""),
            configured_factors=tuple(response.get("ConfiguredUserAuthFactors") or ()),
            mfa_enabled=tuple(response.get("UserMFASettingList") or ()),
            mfa_preferred=response.get("PreferredMfaSetting"),
        )

    def set_email_mfa_preference(self, access_token: str, *, enabled: bool) -> None:
        """Turn MFA by email on (and make it preferred) or off for the signed-in user
        (SetUserMFAPreference, ``EmailMfaSettings``)."""
        with cognito_call("SetUserMFAPreference"):
            self._client.set_user_mfa_preference(
                AccessToken=access_token,
                EmailMfaSettings={"Enabled": enabled, "PreferredMfa": enabled},
            )
