"""The gateway's administrator actions (server-side AWS credentials): users, the applicant's
account, and the server-side sign-in (bff.cognito.gateway composes them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bff.cognito import wire
from bff.cognito.error_translation import cognito_call
from bff.cognito.gateway_base import GatewayBase
from bff.cognito.types import AuthStep, CognitoUser, UserPage
from bff.errors import CognitoError, InvalidPaginationToken, InvalidParameter


class AdminActions(GatewayBase):
    """AdminGetUser, ListUsers, AdminCreateUser, AdminResetUserPassword, AdminInitiateAuth."""

    def admin_get_user(self, username: str) -> CognitoUser:
        """Look a user up by username or alias, as an administrator (AdminGetUser)."""
        with cognito_call("AdminGetUser"):
            response = self._client.admin_get_user(UserPoolId=self.user_pool_id, Username=username)
        return wire.user(response)

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
        if limit is not None and not 1 <= limit <= wire.MAX_PAGE_SIZE:
            raise InvalidParameter(f"limit must be between 1 and {wire.MAX_PAGE_SIZE}.")
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
            users=[wire.user(user) for user in response.get("Users", [])],
            pagination_token=response.get("PaginationToken") or None,
        )

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
                request["UserAttributes"] = wire.attribute_list(user_attributes)
        with cognito_call("AdminCreateUser"):
            response = self._client.admin_create_user(**request)
        return wire.user(response["User"])

    def admin_reset_user_password(self, username: str) -> None:
        """Require a password reset at the next sign-in and email a reset code, as an
        administrator (AdminResetUserPassword: the user's status becomes RESET_REQUIRED)."""
        with cognito_call("AdminResetUserPassword"):
            self._client.admin_reset_user_password(UserPoolId=self.user_pool_id, Username=username)

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
        return wire.auth_step(response)
