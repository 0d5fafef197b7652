"""Sign-up, confirmation and user look-ups through the gateway, over the wire."""

from __future__ import annotations

import pytest
from gateway_wire_support import gateway_for, sign_up_confirmed

from bff import errors
from tests.support.challenges import iter_users
from tests.support.passwords import PASSWORD


def test_sign_up_sends_a_code_and_confirm_makes_the_user_confirmed(
    any_gateway, outbox, unique_email
):
    result = any_gateway.sign_up(
        unique_email, PASSWORD, email=unique_email, attributes={"locale": "en"}
    )
    assert result.user_confirmed is False
    assert result.user_sub
    assert result.code_delivery is not None
    assert result.code_delivery.delivery_medium == "EMAIL"
    assert result.code_delivery.attribute_name == "email"
    assert any_gateway.admin_get_user(unique_email).status == "UNCONFIRMED"

    any_gateway.confirm_sign_up(unique_email, outbox.latest_code(unique_email))
    user = any_gateway.admin_get_user(unique_email)
    assert user.status == "CONFIRMED"
    assert user.sub == result.user_sub
    assert user.email == unique_email
    assert user.attributes["email_verified"] == "true"


def test_sign_up_twice_is_username_exists(any_gateway, unique_email):
    any_gateway.sign_up(unique_email, PASSWORD, email=unique_email)
    with pytest.raises(errors.UsernameExists) as caught:
        any_gateway.sign_up(unique_email, PASSWORD, email=unique_email)
    assert caught.value.cognito_code == "UsernameExistsException"


@pytest.mark.parametrize(
    ("password", "rule"),
    [("Sh0rt!", "long enough"), ("nouppercase1!", "uppercase"), ("NoSymbols123", "symbol")],
)
def test_weak_password_is_invalid_password_with_the_policy_message(
    gateway, unique_email, password, rule
):
    with pytest.raises(errors.InvalidPassword) as caught:
        gateway.sign_up(unique_email, password, email=unique_email)
    assert rule in caught.value.message
    assert caught.value.status == 400


def test_wrong_confirmation_code_is_code_mismatch(gateway, outbox, unique_email):
    gateway.sign_up(unique_email, PASSWORD, email=unique_email)
    right = outbox.latest_code(unique_email)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(errors.CodeMismatch):
        gateway.confirm_sign_up(unique_email, wrong)
    assert gateway.admin_get_user(unique_email).status == "UNCONFIRMED"


def test_resend_confirmation_code_sends_a_new_code_that_works(any_gateway, outbox, unique_email):
    any_gateway.sign_up(unique_email, PASSWORD, email=unique_email)
    first = outbox.latest_code(unique_email)
    delivery = any_gateway.resend_confirmation_code(unique_email)
    assert delivery.delivery_medium == "EMAIL"
    assert delivery.destination and "@" in delivery.destination
    assert len(outbox.messages(to=unique_email, kind="confirmation_code")) == 2
    second = outbox.latest_code(unique_email)
    any_gateway.confirm_sign_up(unique_email, second)
    assert any_gateway.admin_get_user(unique_email).status == "CONFIRMED"
    assert first  # the first code existed; whether it equals the second is Cognito's choice


def test_sign_in_before_confirming_is_user_not_confirmed(any_gateway, unique_email):
    any_gateway.sign_up(unique_email, PASSWORD, email=unique_email)
    with pytest.raises(errors.UserNotConfirmed):
        any_gateway.initiate_auth(unique_email, PASSWORD)
    with pytest.raises(errors.UserNotConfirmed):
        any_gateway.admin_initiate_auth(unique_email, PASSWORD)


def test_admin_get_user_unknown_is_user_not_found(gateway, unique_email):
    with pytest.raises(errors.UserNotFound) as caught:
        gateway.admin_get_user(unique_email)
    assert caught.value.status == 404


def test_list_users_filters_and_pages(gateway, outbox, local_cognito_server):
    # A pool of its own, so the page sizes are exact whatever other tests created.

    isolated = gateway_for(local_cognito_server.provision())
    emails = [f"lister-{i}@example.com" for i in range(5)]
    for email in emails:
        isolated.admin_create_user(email, email=email)
    first = isolated.list_users(limit=2)
    assert len(first.users) == 2 and first.pagination_token
    second = isolated.list_users(limit=2, pagination_token=first.pagination_token)
    assert {u.username for u in second.users}.isdisjoint({u.username for u in first.users})
    assert sorted(
        u.email
        for u in iter_users(
            isolated,
        )
    ) == sorted(emails)
    found = isolated.list_users(filter='email = "lister-3@example.com"')
    assert [u.email for u in found.users] == ["lister-3@example.com"]
    assert found.pagination_token is None
    assert all(
        u.status == "FORCE_CHANGE_PASSWORD"
        for u in iter_users(
            isolated,
        )
    )


def test_sign_up_confirmed_helper_round_trip(gateway, outbox, unique_email):
    sign_up_confirmed(gateway, outbox, unique_email)
    assert gateway.admin_get_user(unique_email).status == "CONFIRMED"
