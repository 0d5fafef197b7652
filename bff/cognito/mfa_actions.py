"""The gateway's MFA preference action for a signed-in user: turn one MFA factor on or off
and make it preferred or not (SetUserMFAPreference; bff.cognito.gateway composes it).

Each factor has its own settings parameter, ``{Enabled, PreferredMfa}`` (API reference,
SetUserMFAPreference): SoftwareTokenMfaSettings for the authenticator app, SMSMfaSettings
for text messages, EmailMfaSettings for email (Essentials plan, and a pool that sends email
MFA). Only the factor named is sent: Cognito leaves the others as they are.
"""

from __future__ import annotations

from typing import Final

from bff.cognito.error_translation import cognito_call
from bff.cognito.gateway_base import GatewayBase
from statemachine.challenges import EMAIL_OTP, SMS_MFA, SOFTWARE_TOKEN_MFA

#: The SetUserMFAPreference parameter of each MFA factor (by its challenge's name).
MFA_SETTINGS: Final[dict[str, str]] = {
    SOFTWARE_TOKEN_MFA: "SoftwareTokenMfaSettings",
    SMS_MFA: "SMSMfaSettings",
    EMAIL_OTP: "EmailMfaSettings",
}


class MfaActions(GatewayBase):
    """SetUserMFAPreference for one factor."""

    def set_mfa_preference(
        self, access_token: str, factor: str, *, enabled: bool, preferred: bool
    ) -> None:
        """Turn ``factor`` (an MFA challenge's name, a key of MFA_SETTINGS) on or off and
        make it the preferred one or not (SetUserMFAPreference)."""
        parameter = MFA_SETTINGS[factor]  # KeyError: not a factor the gateway knows
        with cognito_call("SetUserMFAPreference"):
            self._client.set_user_mfa_preference(
                AccessToken=access_token,
                **{parameter: {"Enabled": enabled, "PreferredMfa": preferred}},
            )
