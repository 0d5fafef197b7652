"""The emails Cognito would send, rendered from the pool's templates for the outbox.

Cognito builds each email from the pool's settings:
- the sender from ``EmailConfiguration``: with ``EmailSendingAccount: DEVELOPER`` the
  ``From`` address, else the SES identity of ``SourceArn``; otherwise Cognito's own
  sender, ``no-reply@verificationemail.com``;
- sign-up and password reset codes from ``VerificationMessageTemplate`` (``{####}`` is the
  code), Cognito's default "Your verification code is {####}." when the pool has none;
- the invitation with a temporary password (AdminCreateUser) from
  ``AdminCreateUserConfig.InviteMessageTemplate`` (``{username}`` and ``{####}``), Cognito's
  default "Your username is {username} and temporary password is {####}." otherwise;
- emailed sign-in and MFA codes (EMAIL_OTP) from ``EmailMfaConfiguration`` (``Message``
  with ``{####}``, ``Subject``).
"""

from __future__ import annotations

from typing import Any

COGNITO_DEFAULT_SENDER = "no-reply@verificationemail.com"
DEFAULT_VERIFICATION = ("Your verification code", "Your verification code is {####}.")
# Cognito's default wording for emailed sign-in and MFA codes is not documented; the pool's
# EmailMfaConfiguration (SetUserPoolMfaConfig) replaces it.
DEFAULT_EMAIL_OTP = ("Your sign-in code", "Your sign-in code is {####}.")
DEFAULT_INVITATION = (
    "Your temporary password",
    "Your username is {username} and temporary password is {####}.",
)


def email_sender(pool_config: dict[str, Any]) -> str:
    """The From of the pool's emails."""
    config = pool_config.get("EmailConfiguration") or {}
    if config.get("EmailSendingAccount") == "DEVELOPER" and config.get("SourceArn"):
        if config.get("From"):
            return str(config["From"])
        identity = str(config["SourceArn"]).rsplit("identity/", 1)[-1]
        return identity if "@" in identity else f"no-reply@{identity}"
    return COGNITO_DEFAULT_SENDER


def _template(pool_config: dict[str, Any], kind: str) -> tuple[str, str]:
    if kind == "email_otp":
        email_mfa = pool_config.get("EmailMfaConfiguration") or {}
        return (
            email_mfa.get("Subject") or DEFAULT_EMAIL_OTP[0],
            email_mfa.get("Message") or DEFAULT_EMAIL_OTP[1],
        )
    if kind == "temporary_password":
        invite = (pool_config.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate")
        invite = invite or {}
        return (
            invite.get("EmailSubject") or DEFAULT_INVITATION[0],
            invite.get("EmailMessage") or DEFAULT_INVITATION[1],
        )
    verification = pool_config.get("VerificationMessageTemplate") or {}
    return (
        verification.get("EmailSubject")
        or pool_config.get("EmailVerificationSubject")
        or DEFAULT_VERIFICATION[0],
        verification.get("EmailMessage")
        or pool_config.get("EmailVerificationMessage")
        or DEFAULT_VERIFICATION[1],
    )


def render_email(
    pool_config: dict[str, Any], kind: str, username: str, secret: dict[str, str]
) -> tuple[str, str, str]:
    """(sender, subject, body) of the ``kind`` email carrying ``secret`` to ``username``."""
    subject, body = _template(pool_config, kind)
    value = secret.get("code") or secret.get("temporary_password") or ""
    body = body.replace("{####}", value).replace("{username}", username)
    return email_sender(pool_config), subject, body
