"""An applicant's three functions (bff/flows/applicants.py): success and every failure
their docstrings name.

Cognito's own answers come over the wire from the local Cognito; throttling and
AccessDenied, which it cannot be made to send on demand, come from botocore's Stubber on a
client that does not retry (the errors are what matter there, not the wire).
"""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from gateway_wire_support import gateway_for, set_up_mfa, sign_up_confirmed

from bff import errors
from bff.cognito.gateway import CognitoGateway
from bff.cognito.settings import CognitoSettings
from bff.flows import applicants
from tests.support.passwords import PASSWORD

NEW_PASSWORD = "Brand-New-Passw0rd!"


@pytest.fixture
def applicant(gateway, outbox, unique_email):
    """An applicant created by create_cognito_user, and the temporary password emailed."""
    applicants.create_cognito_user(unique_email, gateway=gateway)
    return unique_email, outbox.latest_temporary_password(unique_email)


def test_create_makes_a_force_change_password_user_and_cognito_emails_them(
    any_gateway, outbox, unique_email
):
    user = applicants.create_cognito_user(unique_email, gateway=any_gateway)
    assert user.status == "FORCE_CHANGE_PASSWORD"
    assert user.username == unique_email and user.email == unique_email
    assert user.attributes["email_verified"] == "true"
    assert user.sub
    sent = outbox.messages(to=unique_email, kind="temporary_password")
    assert len(sent) == 1 and sent[0]["temporary_password"]


def test_create_with_our_temporary_password_sends_that_one(gateway, outbox, unique_email):
    applicants.create_cognito_user(unique_email, "Temp-Passw0rd!", gateway=gateway)
    assert outbox.latest_temporary_password(unique_email) == "Temp-Passw0rd!"


@pytest.mark.parametrize("email", ["", "not-an-email", "two words@example.com", "@example.com"])
def test_create_refuses_what_is_not_an_email(gateway, email):
    with pytest.raises(errors.InvalidParameter, match="email"):
        applicants.create_cognito_user(email, gateway=gateway)


def test_create_twice_is_username_exists(gateway, applicant):
    with pytest.raises(errors.UsernameExists):
        applicants.create_cognito_user(applicant[0], gateway=gateway)


def test_create_with_a_weak_temporary_password_is_invalid_password(gateway, unique_email):
    with pytest.raises(errors.InvalidPassword) as caught:
        applicants.create_cognito_user(unique_email, "weak", gateway=gateway)
    assert "Password did not conform with policy" in caught.value.message


def test_new_password_in_an_mfa_pool_sets_it_and_answers_mfa_setup(
    gateway, applicant, cognito_clock
):
    email, temporary = applicant
    step = applicants.handle_new_password_challenge(email, temporary, NEW_PASSWORD, gateway=gateway)
    assert step.challenge_name == "MFA_SETUP" and step.session and step.tokens is None
    assert gateway.admin_get_user(email).status == "CONFIRMED"
    # The flow then continues as any first sign-in with MFA required.
    user = set_up_mfa(gateway, email, NEW_PASSWORD, clock=cognito_clock)
    assert user.setup.tokens is not None
    with pytest.raises(errors.NotAuthorized):
        gateway.initiate_auth(email, temporary)


def test_new_password_in_a_pool_without_mfa_returns_tokens(local_cognito_server, unique_email):
    no_mfa = gateway_for(local_cognito_server.provision(MfaConfiguration="OFF"))
    applicants.create_cognito_user(unique_email, "Temp-Passw0rd!", gateway=no_mfa)
    step = applicants.handle_new_password_challenge(
        unique_email, "Temp-Passw0rd!", NEW_PASSWORD, gateway=no_mfa
    )
    assert step.challenge_name is None
    assert step.tokens is not None and step.tokens.refresh_token


def test_required_attributes_are_sent_and_their_absence_named(local_cognito_server, unique_email):
    schema = [
        {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
        {"Name": "name", "AttributeDataType": "String", "Required": True, "Mutable": True},
    ]
    named = gateway_for(local_cognito_server.provision(Schema=schema, MfaConfiguration="OFF"))
    applicants.create_cognito_user(unique_email, "Temp-Passw0rd!", gateway=named)
    with pytest.raises(errors.InvalidParameter) as caught:
        applicants.handle_new_password_challenge(
            unique_email, "Temp-Passw0rd!", NEW_PASSWORD, gateway=named
        )
    assert caught.value.details == {"missing_attributes": ["name"]}
    step = applicants.handle_new_password_challenge(
        unique_email,
        "Temp-Passw0rd!",
        NEW_PASSWORD,
        attributes={"name": "Ada Lovelace", "nickname": "not required, not sent"},
        gateway=named,
    )
    assert step.tokens is not None
    assert named.admin_get_user(unique_email).attributes["name"] == "Ada Lovelace"
    assert "nickname" not in named.admin_get_user(unique_email).attributes


def test_wrong_temporary_password_is_not_authorized(gateway, applicant):
    with pytest.raises(errors.NotAuthorized) as caught:
        applicants.handle_new_password_challenge(
            applicant[0], "Wrong-Temp-1!", NEW_PASSWORD, gateway=gateway
        )
    assert type(caught.value) is errors.NotAuthorized


def test_unknown_user_is_not_authorized_too(gateway, unique_email):
    with pytest.raises(errors.NotAuthorized):
        applicants.handle_new_password_challenge(
            unique_email, "Temp-1!aA", NEW_PASSWORD, gateway=gateway
        )


def test_weak_new_password_is_invalid_password(gateway, applicant):
    email, temporary = applicant
    with pytest.raises(errors.InvalidPassword):
        applicants.handle_new_password_challenge(email, temporary, "weak", gateway=gateway)
    assert gateway.admin_get_user(email).status == "FORCE_CHANGE_PASSWORD"


def test_user_who_already_chose_a_password_is_unsupported_user_state(gateway, outbox, unique_email):
    sign_up_confirmed(gateway, outbox, unique_email)
    with pytest.raises(errors.UnsupportedUserState) as caught:
        applicants.handle_new_password_challenge(
            unique_email, PASSWORD, NEW_PASSWORD, gateway=gateway
        )
    assert caught.value.details == {"next_step": "MFA_SETUP"}


def test_password_reset_by_an_admin_is_password_reset_required(
    gateway, outbox, unique_email, cognito_client
):
    sign_up_confirmed(gateway, outbox, unique_email)
    cognito_client.admin_reset_user_password(UserPoolId=gateway.user_pool_id, Username=unique_email)
    with pytest.raises(errors.PasswordResetRequired):
        applicants.handle_new_password_challenge(
            unique_email, PASSWORD, NEW_PASSWORD, gateway=gateway
        )


def test_resend_sends_a_new_temporary_password_and_the_old_one_stops_working(
    any_gateway, outbox, unique_email
):
    applicants.create_cognito_user(unique_email, gateway=any_gateway)
    first = outbox.latest_temporary_password(unique_email)
    user = applicants.resend_temporary_password(unique_email, gateway=any_gateway)
    assert user.status == "FORCE_CHANGE_PASSWORD"
    sent = outbox.messages(to=unique_email, kind="temporary_password")
    assert len(sent) == 2
    second = sent[-1]["temporary_password"]
    assert second != first
    with pytest.raises(errors.NotAuthorized):
        any_gateway.admin_initiate_auth(unique_email, first)
    step = applicants.handle_new_password_challenge(
        unique_email, second, NEW_PASSWORD, gateway=any_gateway
    )
    assert step.challenge_name == "MFA_SETUP"


def test_resend_for_nobody_is_user_not_found(gateway, unique_email):
    with pytest.raises(errors.UserNotFound):
        applicants.resend_temporary_password(unique_email, gateway=gateway)


def test_resend_after_the_password_was_chosen_is_unsupported_user_state(gateway, applicant):
    email, temporary = applicant
    applicants.handle_new_password_challenge(email, temporary, NEW_PASSWORD, gateway=gateway)
    with pytest.raises(errors.UnsupportedUserState):
        applicants.resend_temporary_password(email, gateway=gateway)


def test_resend_refuses_what_is_not_an_email(gateway):
    with pytest.raises(errors.InvalidParameter):
        applicants.resend_temporary_password("nope", gateway=gateway)


def _stubbed_gateway() -> tuple[Stubber, CognitoGateway]:
    client = boto3.client(
        "cognito-idp",
        region_name="eu-west-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )
    return Stubber(client), CognitoGateway(client, user_pool_id="eu-west-1_Stub", client_id="c")


CALLS = {
    "create": (
        lambda g: applicants.create_cognito_user("a@example.com", gateway=g),
        "admin_create_user",
    ),
    "handle": (
        lambda g: applicants.handle_new_password_challenge("a@example.com", "T", "N", gateway=g),
        "admin_initiate_auth",
    ),
    "resend": (
        lambda g: applicants.resend_temporary_password("a@example.com", gateway=g),
        "admin_create_user",
    ),
}


@pytest.mark.parametrize("function", sorted(CALLS))
@pytest.mark.parametrize(
    ("cognito_code", "expected"),
    [
        ("TooManyRequestsException", errors.CognitoThrottled),
        ("AccessDeniedException", errors.CognitoError),
    ],
)
def test_throttling_and_unknown_errors(function, cognito_code, expected):
    call, operation = CALLS[function]
    stubber, gateway = _stubbed_gateway()
    stubber.add_client_error(operation, service_error_code=cognito_code, http_status_code=400)
    with stubber, pytest.raises(expected) as caught:
        call(gateway)
    assert caught.value.cognito_code == cognito_code
    if expected is errors.CognitoThrottled:
        assert caught.value.status == 429


@pytest.mark.slow
@pytest.mark.parametrize("function", sorted(CALLS))
def test_unreachable_cognito_is_cognito_unavailable(function):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = CognitoGateway.from_settings(
        CognitoSettings(
            user_pool_id="eu-west-1_Closed",
            client_id="c",
            endpoint_url=f"http://127.0.0.1:{port}",
            connect_timeout=0.5,
            max_attempts=1,
        )
    )
    with pytest.raises(errors.CognitoUnavailable):
        CALLS[function][0](gateway)
