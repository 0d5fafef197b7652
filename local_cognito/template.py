"""Read the CloudFormation template of the user pool and turn it into Cognito API calls.

The template (``user-pool.yaml``, shipped as package data) is the one definition of the pool
and its app client: real deployments create the stack, the local Cognito reads the same file
and maps each resource's properties onto CreateUserPool, SetUserPoolMfaConfig and
CreateUserPoolClient, as CloudFormation does.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

TEMPLATE_RESOURCE = "user-pool.yaml"
#: The account id of the local Cognito's ARNs (the ones moto gives the pools too).
LOCAL_ACCOUNT_ID = "123456789012"

# Properties of AWS::Cognito::UserPool that CreateUserPool does not take: CloudFormation
# applies them with other calls (SetUserPoolMfaConfig) or they only name the pool.
_POOL_PROPS_NOT_IN_CREATE = {
    "UserPoolName",
    "EnabledMfas",
    "MfaConfiguration",
    "UserPoolTags",
    # SetUserPoolMfaConfig's EmailMfaConfiguration, not CreateUserPool's.
    "EmailAuthenticationMessage",
    "EmailAuthenticationSubject",
}


class TemplateError(ValueError):
    """The template cannot be read or uses something this loader does not evaluate."""


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation's short-form intrinsics (``!Ref`` ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    # "!Ref X" is "Ref"; every other tag is "Fn::<Name>"; "!GetAtt A.B" is a dotted scalar.
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(text: str | None = None) -> dict[str, Any]:
    """Parse the template (the packaged one unless ``text`` is given)."""
    if text is None:
        text = resources.files("local_cognito").joinpath(TEMPLATE_RESOURCE).read_text()
    try:
        document = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"user pool template is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError("user pool template has no Resources section")
    return document


@dataclass(frozen=True)
class PoolDefinition:
    """What the template asks for, as Cognito API request bodies."""

    pool_name: str
    create_user_pool: dict[str, Any]
    mfa_config: dict[str, Any] | None
    create_user_pool_client: dict[str, Any]
    #: the user pool domain's prefix (AWS::Cognito::UserPoolDomain), if any
    domain: str | None = None
    #: CreateIdentityProvider bodies (AWS::Cognito::UserPoolIdentityProvider)
    identity_providers: tuple[dict[str, Any], ...] = ()


class _Evaluator:
    """Evaluates the few intrinsics the template uses against parameter values."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str]) -> None:
        self.template = template
        self.parameters: dict[str, str] = {}
        self.lists: set[str] = set()
        for name, spec in (template.get("Parameters") or {}).items():
            if spec.get("Type") == "CommaDelimitedList":
                self.lists.add(name)
            if name in parameters:
                value = str(parameters[name])
            elif "Default" in spec:
                value = str(spec["Default"])
            else:
                raise TemplateError(f"template parameter {name} has no value")
            allowed = spec.get("AllowedValues")
            if allowed is not None and value not in [str(v) for v in allowed]:
                raise TemplateError(f"template parameter {name}={value!r} not in {allowed}")
            self.parameters[name] = value
        unknown = set(parameters) - set(self.parameters)
        if unknown:
            raise TemplateError(f"unknown template parameters: {sorted(unknown)}")
        self.resource_refs: dict[str, Any] = {}
        self.conditions: dict[str, bool] = {}
        for name, expr in (template.get("Conditions") or {}).items():
            self.conditions[name] = bool(self.evaluate(expr))

    def evaluate(self, value: Any) -> Any:
        if isinstance(value, list):
            # !If [cond, item, !Ref AWS::NoValue] in a list leaves the item out.
            return [item for item in map(self.evaluate, value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                if arg in self.lists:
                    return [v.strip() for v in self.parameters[arg].split(",") if v.strip()]
                if arg in self.parameters:
                    return self.parameters[arg]
                if arg in self.resource_refs:
                    return self.resource_refs[arg]
                if arg == "AWS::NoValue":
                    return _NO_VALUE
                raise TemplateError(f"!Ref {arg} cannot be resolved locally")
            if key == "Fn::Equals":
                left, right = (self.evaluate(v) for v in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.evaluate(arg[0])
            if key == "Fn::If":
                name, if_true, if_false = arg
                return self.evaluate(if_true if self.conditions[name] else if_false)
            if key == "Condition":
                return self.conditions[arg]
            if key == "Fn::GetAtt":
                return self._attribute(*arg)
            if key.startswith("Fn::"):
                raise TemplateError(f"intrinsic {key} is not evaluated by the local loader")
        evaluated = {k: self.evaluate(v) for k, v in value.items()}
        return {k: v for k, v in evaluated.items() if v is not _NO_VALUE}

    def _attribute(self, resource: str, attribute: str) -> str:
        """``!GetAtt Role.Arn`` of an IAM role of the template: the ARN the role would have
        in the local account (the local Cognito never assumes it)."""
        found = (self.template.get("Resources") or {}).get(resource) or {}
        if found.get("Type") != "AWS::IAM::Role" or attribute != "Arn":
            raise TemplateError(f"!GetAtt {resource}.{attribute} cannot be resolved locally")
        return f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/{resource}"


_NO_VALUE = object()


def _resources(
    template: dict[str, Any], cfn_type: str, evaluator: _Evaluator | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The resources of ``cfn_type``, those whose Condition is false left out."""
    return [
        (name, dict(res.get("Properties") or {}))
        for name, res in template["Resources"].items()
        if res.get("Type") == cfn_type
        and (evaluator is None or "Condition" not in res or evaluator.conditions[res["Condition"]])
    ]


def _resource(template: dict[str, Any], cfn_type: str) -> tuple[str, dict[str, Any]]:
    found = [
        (name, res) for name, res in template["Resources"].items() if res.get("Type") == cfn_type
    ]
    if len(found) != 1:
        raise TemplateError(f"expected exactly one {cfn_type} in the template, found {len(found)}")
    name, res = found[0]
    return name, dict(res.get("Properties") or {})


def pool_definition(
    *,
    with_client_secret: bool = False,
    template_text: str | None = None,
    parameters: dict[str, str] | None = None,
) -> PoolDefinition:
    """Map the template's pool and client properties onto Cognito API request bodies.

    ``parameters`` are template parameter values (e.g. ``EmailSourceArn``, ``EmailFrom``);
    the others keep their defaults. The client's ``UserPoolId`` is left out: it is only
    known once the pool exists.
    """
    template = load_template(template_text)
    params = dict(parameters or {})
    params["GenerateClientSecret"] = "true" if with_client_secret else "false"
    evaluator = _Evaluator(template, params)
    pool_name, pool_props = _resource(template, "AWS::Cognito::UserPool")
    client_name, client_props = _resource(template, "AWS::Cognito::UserPoolClient")
    pool = evaluator.evaluate(pool_props)
    evaluator.resource_refs[pool_name] = "<pool>"
    providers = []
    for name, props in _resources(template, "AWS::Cognito::UserPoolIdentityProvider", evaluator):
        provider = evaluator.evaluate(props)
        provider.pop("UserPoolId", None)
        # Ref of an identity provider is its name (the client lists it by that).
        evaluator.resource_refs[name] = provider["ProviderName"]
        providers.append(provider)
    domains = [
        evaluator.evaluate(props)["Domain"]
        for _, props in _resources(template, "AWS::Cognito::UserPoolDomain", evaluator)
    ]
    if len(domains) > 1:
        raise TemplateError("expected at most one AWS::Cognito::UserPoolDomain")
    client = evaluator.evaluate(client_props)
    client.pop("UserPoolId", None)

    create_pool = {k: v for k, v in pool.items() if k not in _POOL_PROPS_NOT_IN_CREATE}
    if "UserPoolTags" in pool:
        create_pool["UserPoolTags"] = pool["UserPoolTags"]
    mfa_config = None
    mfa = pool.get("MfaConfiguration", "OFF")
    if mfa != "OFF":
        enabled = pool.get("EnabledMfas") or []
        mfa_config = {"MfaConfiguration": mfa}
        if "SOFTWARE_TOKEN_MFA" in enabled:
            mfa_config["SoftwareTokenMfaConfiguration"] = {"Enabled": True}
        if "SMS_MFA" in enabled:
            # CloudFormation sends the pool's SMS settings with SetUserPoolMfaConfig.
            if not pool.get("SmsConfiguration"):
                raise TemplateError(
                    "EnabledMfas lists SMS_MFA but the pool has no SmsConfiguration"
                )
            sms: dict[str, Any] = {"SmsConfiguration": pool["SmsConfiguration"]}
            if pool.get("SmsAuthenticationMessage"):
                sms["SmsAuthenticationMessage"] = pool["SmsAuthenticationMessage"]
            mfa_config["SmsMfaConfiguration"] = sms
        if "EMAIL_OTP" in enabled:
            email = {
                "Message": pool.get("EmailAuthenticationMessage"),
                "Subject": pool.get("EmailAuthenticationSubject"),
            }
            mfa_config["EmailMfaConfiguration"] = {k: v for k, v in email.items() if v}
    return PoolDefinition(
        pool_name=str(pool.get("UserPoolName", "cognito-bff")),
        create_user_pool=create_pool,
        mfa_config=mfa_config,
        create_user_pool_client=client,
        domain=str(domains[0]) if domains else None,
        identity_providers=tuple(providers),
    )
