"""docs/cognito-actions.md is what the gateway's source generates, and the check catches drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from botocore import xform_name

from bff_tools import docsgen
from bff_tools.docs_actions import (
    SPEC_ACTIONS,
    ActionDocsError,
    collect,
    gateway_source,
    render_cognito_actions,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "cognito-actions.md"
SOURCE = gateway_source()


def section(text: str, action: str) -> str:
    match = re.search(rf"^## {action}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no section for {action}"
    return match.group(1)


def test_committed_page_matches_the_gateway_source() -> None:
    assert DOC.read_text(encoding="utf-8") == render_cognito_actions(), (
        "docs/cognito-actions.md is stale: run `bff docs`"
    )
    assert docsgen.stale_docs(only="docs/cognito-actions.md") == []


def test_every_spec_action_and_every_called_action_has_an_excerpt() -> None:
    page = render_cognito_actions()
    # Independent of the ast walk: every boto3 call written in the gateway's files.
    called = set(re.findall(r"self\._client\.(\w+)\(", SOURCE))
    sections = re.findall(r"^## (\w+)$", page, re.MULTILINE)
    actions = [s for s in sections if s != "SECRET_HASH"]
    assert {xform_name(a) for a in actions} == called
    for action in SPEC_ACTIONS:
        assert action in actions
    for action in actions:
        body = section(page, action)
        boto_method = xform_name(action)
        assert f"self._client.{boto_method}(" in body
        assert f"<!-- SOS excerpt: cognito-idp.{action} -->" in body


def test_an_edit_to_a_method_is_caught() -> None:
    edited = SOURCE.replace(
        "                ConfirmationCode=code,\n",
        "                ConfirmationCode=code.strip(),\n",
        1,
    )
    assert edited != SOURCE
    page = render_cognito_actions(edited)

    assert page != DOC.read_text(encoding="utf-8")
    assert "ConfirmationCode=code.strip()," in section(page, "ConfirmSignUp")


def test_an_edited_docstring_changes_the_description() -> None:
    old = '"""Register a new user who signs up themselves (SignUp); Cognito sends a code."""'
    assert old in SOURCE
    edited = SOURCE.replace(old, '"""Create a self-service user (SignUp)."""', 1)
    page = render_cognito_actions(edited)

    assert "| `sign_up` | Create a self-service user (SignUp). |" in page
    assert page != render_cognito_actions()


def test_a_new_action_appears_without_touching_the_generator() -> None:
    method = '''
    def admin_disable_user(self, username: str) -> None:
        """Disable a user (AdminDisableUser)."""
        self._client.admin_disable_user(UserPoolId=self.user_pool_id, Username=username)
'''
    anchor = "    def global_sign_out("
    edited = SOURCE.replace(anchor, method.lstrip("\n") + "\n" + anchor, 1)
    assert edited != SOURCE
    page = render_cognito_actions(edited)

    assert "self._client.admin_disable_user(" in section(page, "AdminDisableUser")


def test_inconsistent_sources_are_refused() -> None:
    wrong_choice = SOURCE.replace('"SignUp": "sign_up",', '"SignUp": "confirm_sign_up",', 1)
    with pytest.raises(ActionDocsError, match="does not call it"):
        collect(wrong_choice)
    not_cognito = SOURCE.replace("self._client.forget_device(", "self._client.forget_gadget(", 1)
    with pytest.raises(ActionDocsError, match="not a cognito-idp operation"):
        collect(not_cognito)
    with pytest.raises(ActionDocsError, match="no class CognitoGateway"):
        collect("X = 1\n")
