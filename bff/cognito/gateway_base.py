"""What every part of the Cognito gateway shares: the boto3 client, the pool and app
client, and SECRET_HASH on every user-level call (bff.cognito.gateway)."""

from __future__ import annotations

from typing import Any

from bff.cognito.wire import secret_hash


class GatewayBase:
    """The client and the app client's identity; the gateway's parts extend it."""

    def __init__(
        self,
        client: Any,
        *,
        user_pool_id: str,
        client_id: str,
        client_secret: str | None = None,
        refresh_rotation: bool = False,
    ) -> None:
        self._client = client
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self._client_secret = client_secret
        #: the app client rotates refresh tokens: refresh_tokens uses GetTokensFromRefreshToken
        self.refresh_rotation = refresh_rotation

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
