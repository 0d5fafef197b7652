"""docs/cognito-actions.md: one excerpt per Cognito action, cut from the gateway's source.

Reviewers read each Cognito service action as an excerpt of the code that calls it. The truth is
the gateway (bff/cognito/gateway.py and the parts it is composed of: ``GATEWAY_FILES``), so
the page is generated from it and never edited by hand: the modules are parsed (``ast``),
every ``self._client.<operation>(...)`` call inside the gateway's classes is found, the
operation is named as Cognito names it (botocore's service model, the same one boto3
uses), and the method that calls it is excerpted with the first paragraph of its
docstring as the one-line description. Where several methods call one
action, ``COGNITO_ACTIONS`` in the gateway names the one shown; the others are listed.

``render_cognito_actions()`` returns the whole file; ``bff docs`` writes it and
``bff docs --check`` (and tests/scenario/test_docs_actions.py) fail when it drifts.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
GATEWAY_REL = "bff/cognito/gateway.py"
GATEWAY_PATH = _ROOT / GATEWAY_REL
#: The gateway's modules: the class itself first, then the parts it is composed of.
GATEWAY_FILES: tuple[str, ...] = (
    GATEWAY_REL,
    "bff/cognito/gateway_base.py",
    "bff/cognito/admin_actions.py",
    "bff/cognito/choice_actions.py",
    "bff/cognito/device_actions.py",
    "bff/cognito/refresh_actions.py",
    "bff/cognito/passkey_actions.py",
    "bff/cognito/wire.py",
)
GATEWAY_CLASS = "CognitoGateway"
#: The classes whose methods are the gateway's (CognitoGateway and its bases).
GATEWAY_CLASSES = frozenset(
    {
        GATEWAY_CLASS,
        "GatewayBase",
        "AdminActions",
        "ChoiceActions",
        "DeviceActions",
        "RefreshActions",
        "PasskeyActions",
    }
)
CLIENT_ATTRIBUTE = "_client"

#: The service actions of the sign-up → TOTP MFA → remembered-device scenario, in its
#: order; the page starts with these, then the other actions the gateway calls, alphabetically.
SPEC_ACTIONS: tuple[str, ...] = (
    "ConfirmSignUp",
    "ConfirmDevice",
    "AssociateSoftwareToken",
    "AdminGetUser",
    "ListUsers",
    "ResendConfirmationCode",
    "RespondToAuthChallenge",
    "AdminRespondToAuthChallenge",
    "SignUp",
    "InitiateAuth",
    "AdminInitiateAuth",
    "VerifySoftwareToken",
)
#: Shown once at the top: how every excerpt gets its SECRET_HASH.
HELPERS: tuple[str, ...] = (
    "secret_hash",
    "GatewayBase._secret_hash",
    "GatewayBase._auth_parameters",
)


class ActionDocsError(ValueError):
    """The gateway source cannot be documented (no class, an unknown action...)."""


@dataclass(frozen=True)
class Excerpt:
    name: str  # "sign_up" or "CognitoGateway._secret_hash"
    summary: str
    code: str


@dataclass(frozen=True)
class ActionDoc:
    action: str
    excerpt: Excerpt
    also: tuple[Excerpt, ...]  # the other methods that call the same action


@cache
def _operation_names() -> dict[str, str]:
    """boto3 method name → Cognito action name, from botocore's cognito-idp model."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model("cognito-idp")
    return {xform_name(name): name for name in model.operation_names}


def _summary(node: ast.FunctionDef) -> str:
    docstring = ast.get_docstring(node)
    if not docstring:
        raise ActionDocsError(f"{node.name} has no docstring to describe it")
    paragraph = docstring.strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def _excerpt(lines: list[str], node: ast.FunctionDef, name: str) -> Excerpt:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    assert node.end_lineno is not None
    code = textwrap.dedent("\n".join(lines[first - 1 : node.end_lineno]))
    return Excerpt(name=name, summary=_summary(node), code=code)


def _client_calls(node: ast.FunctionDef) -> list[str]:
    """The boto3 methods ``node`` calls on ``self._client``, in source order, once each."""
    found: list[str] = []
    for call in ast.walk(node):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        target = call.func.value
        if (
            isinstance(target, ast.Attribute)
            and target.attr == CLIENT_ATTRIBUTE
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and call.func.attr not in found
        ):
            found.append(call.func.attr)
    found.sort(key=lambda m: _first_line(node, m))
    return found


def _first_line(node: ast.FunctionDef, method: str) -> int:
    return min(
        c.lineno
        for c in ast.walk(node)
        if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == method
    )


def _chosen_methods(tree: ast.Module) -> dict[str, str]:
    """The gateway's ``COGNITO_ACTIONS`` (action → method shown), read from the source."""
    for statement in tree.body:
        target = None
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            target, value = statement.target.id, statement.value
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            first = statement.targets[0]
            target = first.id if isinstance(first, ast.Name) else None
            value = statement.value
        if target == "COGNITO_ACTIONS" and value is not None:
            chosen = ast.literal_eval(value)
            if not isinstance(chosen, dict):
                raise ActionDocsError("COGNITO_ACTIONS must be a dict literal")
            return {str(k): str(v) for k, v in chosen.items()}
    return {}


def gateway_source() -> str:
    """The gateway's modules, one after the other (``GATEWAY_FILES``)."""
    return "\n".join((_ROOT / name).read_text(encoding="utf-8") for name in GATEWAY_FILES)


def collect(source: str) -> tuple[list[Excerpt], list[ActionDoc]]:
    """The helper excerpts and one ActionDoc per Cognito action the gateway source calls."""
    tree = ast.parse(source)
    lines = source.splitlines()
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in GATEWAY_CLASSES]
    if not any(c.name == GATEWAY_CLASS for c in classes):
        raise ActionDocsError(f"no class {GATEWAY_CLASS} in the gateway source")
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    methods = {n.name: n for c in classes for n in c.body if isinstance(n, ast.FunctionDef)}

    helpers = []
    for name in HELPERS:
        owner, _, attr = name.rpartition(".")
        node = (methods if owner else functions).get(attr)
        if node is not None:
            helpers.append(_excerpt(lines, node, name))

    operations = _operation_names()
    callers: dict[str, list[str]] = {}
    for name, node in methods.items():
        for boto_method in _client_calls(node):
            action = operations.get(boto_method)
            if action is None:
                raise ActionDocsError(f"{name} calls {boto_method}, not a cognito-idp operation")
            callers.setdefault(action, []).append(name)

    chosen = _chosen_methods(tree)
    for action, method in chosen.items():
        if method not in callers.get(action, []):
            raise ActionDocsError(
                f"COGNITO_ACTIONS shows {method} for {action}, but {method} does not call it"
            )
    spec = [a for a in SPEC_ACTIONS if a in callers]
    others = sorted(a for a in callers if a not in SPEC_ACTIONS)
    docs = []
    for action in spec + others:
        shown = chosen.get(action, callers[action][0])
        also = tuple(_excerpt(lines, methods[m], m) for m in callers[action] if m != shown)
        docs.append(ActionDoc(action, _excerpt(lines, methods[shown], shown), also))
    return helpers, docs


def _anchor(action: str) -> str:
    return action.lower()


def render_cognito_actions(source: str | None = None) -> str:
    """The whole of docs/cognito-actions.md, from ``source`` (default: the gateway file)."""
    if source is None:
        source = gateway_source()
    helpers, docs = collect(source)
    out = [
        "# Cognito actions: one excerpt per action",
        "",
        "<!-- Generated from the gateway's modules by bff_tools/docs_actions.py. Do not edit:",
        "     run `bff docs`; `bff docs --check` and the tests fail when this page drifts. -->",
        "",
        f"Every call to Cognito is made by one method of `{GATEWAY_CLASS}`",
        f"([`{GATEWAY_REL}`](../{GATEWAY_REL}) and the parts it is composed of:",
        ", ".join(f"[`{name}`](../{name})" for name in GATEWAY_FILES[1:]) + ").",
        "For each Cognito action, below is the source of",
        "the method that calls it, cut from the code; other methods calling the same action",
        "follow, folded. `cognito_call`",
        "([`bff/cognito/error_translation.py`](../bff/cognito/error_translation.py)) turns",
        "Cognito's errors into `bff.errors` types. `bff scenario` runs these actions in the",
        "order of the scenario: sign-up, TOTP MFA, then sign-in with a remembered device.",
        "",
        "| Cognito action | in the spec | method | what it does |",
        "|---|---|---|---|",
    ]
    for doc in docs:
        in_spec = "yes" if doc.action in SPEC_ACTIONS else ""
        summary = doc.excerpt.summary.replace("|", "\\|")
        out.append(
            f"| [{doc.action}](#{_anchor(doc.action)}) | {in_spec} | `{doc.excerpt.name}` | "
            f"{summary} |"
        )
    out += ["", "## SECRET_HASH", ""]
    out.append(
        "When the app client has a secret, every user-level call carries SECRET_HASH; these "
        "helpers add it."
    )
    for helper in helpers:
        out += ["", f"`{helper.name}`: {helper.summary}", "", "```python", helper.code, "```"]
    for doc in docs:
        out += [
            "",
            f"## {doc.action}",
            "",
            f"<!-- SOS excerpt: cognito-idp.{doc.action} -->",
            f"`{GATEWAY_CLASS}.{doc.excerpt.name}`: {doc.excerpt.summary}",
            "",
            "```python",
            doc.excerpt.code,
            "```",
        ]
        for other in doc.also:
            out += [
                "",
                "<details>",
                f"<summary>Also calls {doc.action}: <code>{other.name}</code></summary>",
                "",
                f"`{GATEWAY_CLASS}.{other.name}`: {other.summary}",
                "",
                "```python",
                other.code,
                "```",
                "",
                "</details>",
            ]
    return "\n".join(out) + "\n"
