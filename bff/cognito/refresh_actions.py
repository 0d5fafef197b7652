"""The gateway's refresh actions: new tokens from a refresh token, by REFRESH_TOKEN_AUTH or,
when the app client rotates refresh tokens, by GetTokensFromRefreshToken
(bff.cognito.gateway composes them)."""

from __future__ import annotations

from bff.cognito import wire
from bff.cognito.error_translation import cognito_call
from bff.cognito.gateway_base import GatewayBase
from bff.cognito.types import AuthStep
from bff.errors import InvalidParameter


class RefreshActions(GatewayBase):
    """InitiateAuth (REFRESH_TOKEN_AUTH) and GetTokensFromRefreshToken."""

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

        A client that rotates refresh tokens (``refresh_rotation``) refuses this flow: the
        call goes to ``get_tokens_from_refresh_token`` instead, whose tokens carry the new
        refresh token to keep.
        """
        if self.refresh_rotation:
            return self.get_tokens_from_refresh_token(refresh_token, device_key=device_key)
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
        return wire.auth_step(response)

    def get_tokens_from_refresh_token(
        self, refresh_token: str, *, device_key: str | None = None
    ) -> AuthStep:
        """New tokens from a refresh token (GetTokensFromRefreshToken). When the app client
        rotates refresh tokens the answer carries a new refresh token, and the one sent
        stops working after the client's RetryGracePeriodSeconds: store the new one.

        The client authenticates with its secret itself (``ClientSecret``), not SECRET_HASH;
        ``DeviceKey`` is required for tokens issued to a device (API reference).
        """
        request = {"RefreshToken": refresh_token, "ClientId": self.client_id}
        if self._client_secret:
            request["ClientSecret"] = self._client_secret
        if device_key:
            request["DeviceKey"] = device_key
        with cognito_call("GetTokensFromRefreshToken"):
            response = self._client.get_tokens_from_refresh_token(**request)
        return wire.auth_step(response)
