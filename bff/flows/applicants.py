"""An applicant's account with a temporary password: create it, set the user's own password,
send a new temporary password.

Three functions, ``create_cognito_user``, ``handle_new_password_challenge`` and
``resend_temporary_password``, call Cognito through the app's ``CognitoGateway`` (the
``gateway`` argument: the admin API, the PandaDoc webhook and the flows pass theirs); the
local Cognito answers them on a laptop, so no AWS account is needed to run or test them.

The flow, in plain English (six steps; docs/auth-lifecycle.md draws it):

1. A user submits an application with PandaDoc, which calls our Create flow.
2. The Create flow calls ``create_cognito_user`` -> Cognito's AdminCreateUser, which creates
   the account in FORCE_CHANGE_PASSWORD with a temporary password.
3. Cognito emails the temporary password to the user itself (we never see or send it when
   Cognito generates it). If that email never arrives, or the password expires (after the
   pool's TemporaryPasswordValidityDays, 7 by default), ``resend_temporary_password`` has
   Cognito send a new one (AdminCreateUser with MessageAction=RESEND).
4. The user signs in with the temporary password; Cognito answers with the
   NEW_PASSWORD_REQUIRED challenge.
5. The frontend asks for a new password and the BFF answers the challenge with
   ``answer_new_password`` (RespondToAuthChallenge, bff/flows/challenges/new_password.py):
   the SPA's new-password step (``POST /api/sign-in/new-password``) and
   ``handle_new_password_challenge`` (which also signs in, server-side, with the admin
   forms AdminInitiateAuth / AdminRespondToAuthChallenge) share that one function.
6. The user is authenticated with their own password. In a pool with MFA required (ours),
   Cognito first asks them to set up an authenticator app (MFA_SETUP): the tokens come
   after that step, which the BFF's sign-in flow drives.

SDK: boto3's ``cognito-idp`` client (``boto3.client("cognito-idp")``), the Python
counterpart of JavaScript's ``@aws-sdk/client-cognito-identity-provider``.

The gateway's settings come from the environment (see ``.env.example``, read by
``CognitoSettings.from_env`` when the app is built):

* ``COGNITO_USER_POOL_ID``: the user pool, e.g. ``us-east-1_AbCdEf123``.
* ``COGNITO_CLIENT_ID``: the app client, with ALLOW_ADMIN_USER_PASSWORD_AUTH enabled.
* ``COGNITO_CLIENT_SECRET``: the app client's secret, if it has one (adds SECRET_HASH).
* ``AWS_REGION``: the pool's region (defaults to the pool id's prefix).
* ``COGNITO_ENDPOINT_URL``: only for the local Cognito; unset for real AWS.
* AWS credentials for the admin calls (AdminCreateUser, AdminInitiateAuth,
  AdminRespondToAuthChallenge): the usual ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``,
  a profile, or an instance role with ``cognito-idp:AdminCreateUser``,
  ``cognito-idp:AdminInitiateAuth`` and ``cognito-idp:AdminRespondToAuthChallenge``.
"""

from __future__ import annotations

from bff.cognito.gateway import CognitoGateway
from bff.cognito.types import AuthStep, CognitoUser
from bff.errors import InvalidParameter, UnsupportedUserState
from bff.flows.challenges.new_password import (
    CHALLENGE as NEW_PASSWORD_REQUIRED,
)
from bff.flows.challenges.new_password import (
    answer_new_password,
    required_attributes,
)


def _checked_email(email: str) -> str:
    email = (email or "").strip()
    local, at, domain = email.partition("@")
    if not (local and at and domain) or any(char.isspace() for char in email):
        raise InvalidParameter("A valid email address is required.")
    return email


def create_cognito_user(
    email: str,
    temporary_password: str | None = None,
    *,
    gateway: CognitoGateway,
) -> CognitoUser:
    """Create the applicant's Cognito account; Cognito emails them a temporary password.

    When: after the application is submitted (the PandaDoc "document completed" event
    reaches the Create flow).

    What: AdminCreateUser on the pool, with ``Username=email``,
    ``UserAttributes=[email, email_verified=true]``, ``DesiredDeliveryMediums=["EMAIL"]``
    and ``TemporaryPassword`` when given. ``email_verified`` is set because the account is
    only usable by whoever reads that inbox, and it lets the user recover their password by
    email later.

    Args:
        email: the applicant's email address (``str``); it becomes the username.
        temporary_password: ``str`` meeting the pool's password policy, or ``None`` (the
            default, recommended) to let Cognito generate one.
        gateway: the app's ``CognitoGateway``.

    Returns:
        ``CognitoUser`` with ``status == "FORCE_CHANGE_PASSWORD"``, the ``sub`` attribute
        and the email.

    Raises (all ``bff.errors.CognitoError`` subclasses but the first):
        InvalidParameter: ``email`` is not an email address, or Cognito refused a parameter.
        UsernameExists: an account with this email already exists (resend instead).
        InvalidPassword: ``temporary_password`` breaks the password policy (Cognito's
            message says which rule).
        CognitoThrottled: Cognito throttled the call after the client's retries.
        CognitoUnavailable: Cognito could not be reached (timeout, connection refused).
        CognitoError: anything else, with Cognito's own code in ``cognito_code``
            (e.g. AccessDeniedException when the server's credentials lack permission).

    Side effects: the user exists in FORCE_CHANGE_PASSWORD; Cognito sends the invitation
    email with the temporary password, valid for TemporaryPasswordValidityDays.
    """
    email = _checked_email(email)
    return gateway.admin_create_user(
        email,
        email=email,
        temporary_password=temporary_password,
        attributes={"email_verified": "true"},
    )


def handle_new_password_challenge(
    username: str,
    temp_password: str,
    new_password: str,
    *,
    attributes: dict[str, str] | None = None,
    gateway: CognitoGateway,
) -> AuthStep:
    """Replace the temporary password with the user's own: sign in, answer NEW_PASSWORD_REQUIRED.

    When: the user submitted the "choose your password" form after signing in with the
    temporary password from the email.

    What: AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH, ``USERNAME``, ``PASSWORD`` = the
    temporary password), which must answer NEW_PASSWORD_REQUIRED; then
    AdminRespondToAuthChallenge with ``ChallengeName=NEW_PASSWORD_REQUIRED``,
    ``ChallengeResponses={USERNAME, NEW_PASSWORD, userAttributes.<name>...}`` for each
    attribute the challenge lists in ``requiredAttributes``, and the challenge's Session.

    Args:
        username: ``str``, the username or email the account was created with.
        temp_password: ``str``, the temporary password Cognito emailed.
        new_password: ``str``, the user's new permanent password.
        attributes: values for the challenge's required attributes (``{"name": "Ada"}``);
            none are required in our pool.
        gateway: the app's ``CognitoGateway``.

    Returns:
        ``AuthStep``: in a pool without MFA, ``tokens`` (``Tokens`` with access, ID and
        refresh tokens); in a pool with MFA required (ours), the next challenge,
        ``challenge_name == "MFA_SETUP"`` with its ``session``, which the sign-in flow
        continues (AssociateSoftwareToken, VerifySoftwareToken, then MFA_SETUP). Either
        way the new password is set and the user is CONFIRMED.

    Raises:
        InvalidParameter: a required attribute is missing (names listed), or Cognito
            refused a parameter.
        NotAuthorized: wrong temporary password, or no such user (Cognito does not say
            which: PreventUserExistenceErrors).
        TemporaryPasswordExpired: the temporary password expired (a ``NotAuthorized``);
            call ``resend_temporary_password``.
        UnsupportedUserState: the user is not waiting for a new password (already set
            one), so the sign-in did not answer NEW_PASSWORD_REQUIRED.
        InvalidPassword: ``new_password`` breaks the password policy (Cognito's message).
        PasswordResetRequired: an administrator reset the password; use forgot-password.
        SessionExpired: the challenge's session expired between the two calls.
        CognitoThrottled, CognitoUnavailable, CognitoError: as for ``create_cognito_user``.

    Side effects: the user's password changes and their status becomes CONFIRMED; the
    temporary password stops working.
    """
    step = gateway.admin_initiate_auth(username, temp_password)
    if step.challenge_name != NEW_PASSWORD_REQUIRED.name:
        raise UnsupportedUserState(
            "This account is not waiting for a new password.",
            details={"next_step": step.challenge_name or "signed_in"},
        )
    return answer_new_password(
        gateway,
        step.challenge_username(username),
        new_password,
        step.session or "",
        attributes=attributes,
        required=required_attributes(step),
        admin=True,
    )


def resend_temporary_password(email: str, *, gateway: CognitoGateway) -> CognitoUser:
    """Have Cognito email the applicant a new temporary password.

    When: the user says the invitation email never arrived, or signing in answered
    ``TemporaryPasswordExpired`` (the temporary password is older than
    TemporaryPasswordValidityDays).

    What: AdminCreateUser with ``Username=email``, ``MessageAction="RESEND"`` and
    ``DesiredDeliveryMediums=["EMAIL"]``: Cognito generates a new temporary password,
    restarts its validity period and sends the invitation again. The previous temporary
    password stops working.

    Args:
        email: ``str``, the email the account was created with (its username).
        gateway: the app's ``CognitoGateway``.

    Returns:
        ``CognitoUser``, still in ``FORCE_CHANGE_PASSWORD``.

    Raises:
        InvalidParameter: ``email`` is not an email address.
        UserNotFound: there is no account for this email.
        UnsupportedUserState: the user already chose their own password (not in
            FORCE_CHANGE_PASSWORD): they should use "forgot password" instead.
        CognitoThrottled, CognitoUnavailable, CognitoError: as for ``create_cognito_user``.

    Side effects: a new invitation email from Cognito with a new temporary password.
    """
    email = _checked_email(email)
    return gateway.admin_create_user(email, email=email, resend=True)
