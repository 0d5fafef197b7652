"""Choice-based sign-in over the wire: USER_AUTH with the pool's sign-in policy and plan,
SELECT_CHALLENGE, the password factors, email codes (first factor and MFA), and
GetUserAuthFactors."""

from __future__ import annotations

from typing import Any

import pytest
from lc_support import cognito_error, confirmed_sign_in

from bff.cognito import srp
from tests.support.choice_pool import ChoicePool, confirmed_user, create_choice_pool
from tests.support.passkeys import SoftwarePasskey
from tests.support.passwords import PASSWORD


@pytest.fixture(scope="module")
def pool(cognito_client: Any) -> ChoicePool:
    return create_choice_pool(cognito_client)


def start(client: Any, pool: ChoicePool, username: str, **params: str) -> dict[str, Any]:
    return client.initiate_auth(  # type: ignore[no-any-return]
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, **params},
    )


def respond(
    client: Any, pool: ChoicePool, name: str, session: str, **responses: str
) -> dict[str, Any]:
    return client.respond_to_auth_challenge(  # type: ignore[no-any-return]
        ClientId=pool.client_id, ChallengeName=name, Session=session, ChallengeResponses=responses
    )


def test_without_a_preference_cognito_offers_the_users_factors(
    cognito_client: Any, pool: ChoicePool, unique_email: str
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    step = start(cognito_client, pool, unique_email)
    assert step["ChallengeName"] == "SELECT_CHALLENGE"
    assert step["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]
    assert step["Session"]


def test_password_answer_to_select_challenge_gives_tokens(
    cognito_client: Any, pool: ChoicePool, unique_email: str
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    step = start(cognito_client, pool, unique_email)
    wrong = cognito_error(
        respond,
        cognito_client,
        pool,
        "SELECT_CHALLENGE",
        step["Session"],
        USERNAME=unique_email,
        ANSWER="PASSWORD",
        PASSWORD="Wrong-pa55word!",
    )
    assert wrong == ("NotAuthorizedException", "Incorrect username or password.")
    # The session takes another answer after a wrong password.
    done = respond(
        cognito_client,
        pool,
        "SELECT_CHALLENGE",
        step["Session"],
        USERNAME=unique_email,
        ANSWER="PASSWORD",
        PASSWORD=PASSWORD,
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_preferred_password_signs_in_at_once(
    cognito_client: Any, pool: ChoicePool, unique_email: str
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    done = start(
        cognito_client, pool, unique_email, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD
    )
    assert done["AuthenticationResult"]["IdToken"]


def test_preferred_password_srp_answers_password_verifier(
    cognito_client: Any, pool: ChoicePool, unique_email: str
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    ephemeral = srp.SrpEphemeral.generate()
    step = start(
        cognito_client,
        pool,
        unique_email,
        PREFERRED_CHALLENGE="PASSWORD_SRP",
        SRP_A=ephemeral.srp_a,
    )
    assert step["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = srp.password_verifier_responses(
        ephemeral,
        user_pool_id=pool.user_pool_id,
        password=PASSWORD,
        challenge_parameters=step["ChallengeParameters"],
    )
    done = respond(cognito_client, pool, "PASSWORD_VERIFIER", step["Session"], **responses)
    assert done["AuthenticationResult"]["AccessToken"]


def test_email_code_signs_in_without_a_password(
    cognito_client: Any, pool: ChoicePool, unique_email: str, outbox: Any
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    step = start(cognito_client, pool, unique_email)
    step = respond(
        cognito_client,
        pool,
        "SELECT_CHALLENGE",
        step["Session"],
        USERNAME=unique_email,
        ANSWER="EMAIL_OTP",
    )
    assert step["ChallengeName"] == "EMAIL_OTP"
    assert step["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert step["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"].startswith(unique_email[0])
    message = outbox.messages(to=unique_email, kind="email_otp")[-1]
    assert message["subject"] == "Your sign-in code"
    assert message["body"] == f"Your code is {message['code']}."
    wrong = "000000" if message["code"] != "000000" else "111111"
    mismatch = cognito_error(
        respond,
        cognito_client,
        pool,
        "EMAIL_OTP",
        step["Session"],
        USERNAME=unique_email,
        EMAIL_OTP_CODE=wrong,
    )
    assert mismatch == ("CodeMismatchException", "Invalid code received for user")
    done = respond(
        cognito_client,
        pool,
        "EMAIL_OTP",
        step["Session"],
        USERNAME=unique_email,
        EMAIL_OTP_CODE=message["code"],
    )
    assert done["AuthenticationResult"]["AccessToken"]
    # Single use: the session (and its code) answered once.
    reused = cognito_error(
        respond,
        cognito_client,
        pool,
        "EMAIL_OTP",
        step["Session"],
        USERNAME=unique_email,
        EMAIL_OTP_CODE=message["code"],
    )
    assert reused == (
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )


def test_email_code_expires_on_the_local_clock(
    cognito_client: Any, unique_email: str, outbox: Any, cognito_clock: Any
) -> None:
    # A client whose sessions outlive the code (AuthSessionValidity 15 minutes).
    pool = create_choice_pool(cognito_client)
    cognito_client.update_user_pool_client(
        UserPoolId=pool.user_pool_id,
        ClientId=pool.client_id,
        ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AuthSessionValidity=15,
    )
    confirmed_user(cognito_client, pool, unique_email)
    step = start(cognito_client, pool, unique_email, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert step["ChallengeName"] == "EMAIL_OTP"
    code = outbox.latest_email_otp(unique_email)
    cognito_clock.advance(6 * 60)
    expired = cognito_error(
        respond,
        cognito_client,
        pool,
        "EMAIL_OTP",
        step["Session"],
        USERNAME=unique_email,
        EMAIL_OTP_CODE=code,
    )
    assert expired == (
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    )


def test_three_wrong_codes_end_the_session(
    cognito_client: Any, pool: ChoicePool, unique_email: str, outbox: Any
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    step = start(cognito_client, pool, unique_email, PREFERRED_CHALLENGE="EMAIL_OTP")
    code = outbox.latest_email_otp(unique_email)
    wrong = "000000" if code != "000000" else "111111"
    answers = [
        cognito_error(
            respond,
            cognito_client,
            pool,
            "EMAIL_OTP",
            step["Session"],
            USERNAME=unique_email,
            EMAIL_OTP_CODE=wrong,
        )
        for _ in range(3)
    ]
    assert answers[0] == answers[1] == ("CodeMismatchException", "Invalid code received for user")
    assert answers[2] == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )
    gone = cognito_error(
        respond,
        cognito_client,
        pool,
        "EMAIL_OTP",
        step["Session"],
        USERNAME=unique_email,
        EMAIL_OTP_CODE=code,
    )
    assert gone[0] == "NotAuthorizedException"


def test_unknown_user_gets_a_selection_like_anyone(
    cognito_client: Any, pool: ChoicePool, unique_email: str, outbox: Any
) -> None:
    step = start(cognito_client, pool, "nobody-" + unique_email)
    assert step["ChallengeName"] == "SELECT_CHALLENGE"
    assert step["AvailableChallenges"]
    assert set(step["AvailableChallenges"]) <= {"PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"}
    # A code "sent" to nobody: the challenge looks the same, and no code is right.
    step = start(cognito_client, pool, "nobody-" + unique_email, PREFERRED_CHALLENGE="EMAIL_OTP")
    assert step["ChallengeName"] == "EMAIL_OTP"
    assert outbox.messages(to="nobody-" + unique_email) == []
    refused = cognito_error(
        respond,
        cognito_client,
        pool,
        "EMAIL_OTP",
        step["Session"],
        USERNAME="nobody-" + unique_email,
        EMAIL_OTP_CODE="123456",
    )
    assert refused == ("CodeMismatchException", "Invalid code received for user")


def test_unknown_user_without_existence_protection_is_user_not_found(
    cognito_client: Any, unique_email: str
) -> None:
    pool = create_choice_pool(cognito_client, prevent_existence_errors=False)
    assert cognito_error(start, cognito_client, pool, unique_email) == (
        "UserNotFoundException",
        "User does not exist.",
    )


def test_a_factor_the_pool_does_not_allow_is_refused(
    cognito_client: Any, unique_email: str
) -> None:
    pool = create_choice_pool(cognito_client, factors=("PASSWORD",))
    confirmed_user(cognito_client, pool, unique_email)
    step = start(cognito_client, pool, unique_email)
    assert step["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    code, message = cognito_error(
        start, cognito_client, pool, unique_email, PREFERRED_CHALLENGE="EMAIL_OTP"
    )
    assert code == "InvalidParameterException" and "EMAIL_OTP" in message
    code, _ = cognito_error(
        respond,
        cognito_client,
        pool,
        "SELECT_CHALLENGE",
        step["Session"],
        USERNAME=unique_email,
        ANSWER="EMAIL_OTP",
    )
    assert code == "InvalidParameterException"


def test_a_pool_requiring_mfa_offers_no_passwordless_factor(
    cognito_client: Any, unique_email: str
) -> None:
    pool = create_choice_pool(cognito_client, mfa="ON")
    confirmed_user(cognito_client, pool, unique_email)
    assert start(cognito_client, pool, unique_email)["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
    ]


def test_lite_plan_and_clients_without_user_auth_are_refused(
    cognito_client: Any, unique_email: str
) -> None:
    lite = create_choice_pool(cognito_client, tier="LITE", email_mfa=False)
    code, _ = cognito_error(start, cognito_client, lite, unique_email)
    assert code == "FeatureUnavailableInTierException"
    no_flow = create_choice_pool(cognito_client, flows=["ALLOW_USER_SRP_AUTH"])
    assert cognito_error(start, cognito_client, no_flow, unique_email) == (
        "InvalidParameterException",
        "USER_AUTH flow not enabled for this client",
    )


def test_email_mfa_after_the_password_and_get_user_auth_factors(
    cognito_client: Any, pool: ChoicePool, unique_email: str, outbox: Any
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    tokens = start(
        cognito_client, pool, unique_email, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD
    )["AuthenticationResult"]
    factors = cognito_client.get_user_auth_factors(AccessToken=tokens["AccessToken"])
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]
    assert factors["UserMFASettingList"] == []
    cognito_client.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"],
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    user = cognito_client.get_user(AccessToken=tokens["AccessToken"])
    assert user["UserMFASettingList"] == ["EMAIL_OTP"]
    assert user["PreferredMfaSetting"] == "EMAIL_OTP"
    step = cognito_client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": unique_email, "PASSWORD": PASSWORD},
    )
    assert step["ChallengeName"] == "EMAIL_OTP"
    done = respond(
        cognito_client,
        pool,
        "EMAIL_OTP",
        step["Session"],
        USERNAME=step["ChallengeParameters"]["USERNAME"],
        EMAIL_OTP_CODE=outbox.latest_email_otp(unique_email),
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_a_user_with_mfa_gets_no_passwordless_factor(
    cognito_client: Any, pool: ChoicePool, unique_email: str
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    tokens = start(
        cognito_client, pool, unique_email, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD
    )["AuthenticationResult"]
    cognito_client.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"], EmailMfaSettings={"Enabled": True}
    )
    assert start(cognito_client, pool, unique_email)["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
    ]


def test_the_templates_pool_offers_email_codes_when_mfa_is_optional(
    local_cognito_server: Any, cognito_client: Any, unique_email: str, outbox: Any
) -> None:
    ses = "arn:aws:ses:eu-west-1:123456789012:identity/example.com"
    info = local_cognito_server.provision(
        parameters={"MfaConfiguration": "OPTIONAL", "EmailSourceArn": ses}
    )
    pool = ChoicePool(info.user_pool_id, info.client_id)
    config = cognito_client.get_user_pool_mfa_config(UserPoolId=pool.user_pool_id)
    assert config["EmailMfaConfiguration"]["Subject"] == "Your sign-in code"
    described = cognito_client.describe_user_pool(UserPoolId=pool.user_pool_id)["UserPool"]
    assert described["UserPoolTier"] == "ESSENTIALS"
    confirmed_user(cognito_client, pool, unique_email)
    step = start(cognito_client, pool, unique_email)
    assert step["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]
    step = start(cognito_client, pool, unique_email, PREFERRED_CHALLENGE="EMAIL_OTP")
    message = outbox.messages(to=unique_email, kind="email_otp")[-1]
    assert message["body"].startswith(f"Your sign-in code is {message['code']}.")
    assert message["from"] == "no-reply@example.com"


def test_the_templates_default_pool_requires_mfa_so_offers_passwords_only(
    local_cognito: Any, cognito_client: Any, unique_email: str
) -> None:
    pool = ChoicePool(local_cognito.user_pool_id, local_cognito.client_id)
    confirmed_user(cognito_client, pool, unique_email)
    assert start(cognito_client, pool, unique_email)["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
    ]


def test_a_registered_passkey_is_a_configured_factor(
    local_cognito_server: Any, cognito_client: Any, unique_email: str
) -> None:
    pool = local_cognito_server.provision(MfaConfiguration="OFF")
    token = confirmed_sign_in(cognito_client, pool, unique_email)["AccessToken"]
    options = cognito_client.start_web_authn_registration(AccessToken=token)[
        "CredentialCreationOptions"
    ]
    cognito_client.complete_web_authn_registration(
        AccessToken=token, Credential=SoftwarePasskey().create(options)
    )
    factors = cognito_client.get_user_auth_factors(AccessToken=token)
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]
