"""``LocalCognito``: a Cognito user pool on loopback, for laptops and tests.

It serves Cognito's wire protocol (JSON 1.1, ``X-Amz-Target:
AWSCognitoIdentityProviderService.<Action>``) at ``http://127.0.0.1:<port>/``, so boto3 or any
Cognito SDK works against it given an endpoint URL. Behind it: moto's Cognito plus the
fidelity layer (fidelity.py), in a private backend. The pool and client come from the
CloudFormation template shipped for real AWS (template.py).

Local-only endpoints (they do not exist in Cognito):
- ``GET  /_local/outbox?to=EMAIL&kind=KIND`` the messages Cognito would have sent;
- ``POST /_local/clock {"advance_seconds": N}`` moves the local clock forward;
- ``GET  /_local/health`` readiness probe.
"""

from __future__ import annotations

import dataclasses
import errno
import ipaddress
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from moto.core.request import Request as MotoRequest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Response

from bff.cognito.settings import CognitoSettings
from bff.local_outbox import KINDS

from . import choice, webauthn
from .clock import Clock
from .federation import OidcFederation
from .fidelity import LocalCognitoBackend
from .keys import public_jwks
from .local_idp import LocalIdentityProvider
from .oauth import OAuthEndpoints, has_domain
from .outbox import Outbox
from .outbox_status import statuses
from .responses import LocalCognitoResponse
from .rotation import Rotation
from .state import StateStore, restore, snapshot
from .template import PoolDefinition, pool_definition
from .tokens import openid_configuration

log = logging.getLogger(__name__)

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
#: The local Cognito's port unless told otherwise: the same for ``bff serve``,
#: ``bff local-cognito``, ``flask --app bff run`` and the tools that look for it.
DEFAULT_PORT = 9229
DEFAULT_ACCOUNT_ID = "123456789012"
#: The local identity provider's name in the pools (the template's OidcProviderName) and the
#: client id the pools have there.
LOCAL_IDP_NAME = "LocalIdP"
LOCAL_IDP_CLIENT_ID = "local-cognito"
_CORS_HEADERS = {
    # Cognito's endpoint answers browsers from any origin; SPAs call it directly.
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": (
        "content-type, x-amz-target, x-amz-user-agent, x-amz-date, authorization, "
        "amz-sdk-invocation-id, amz-sdk-request, cache-control, x-amz-content-sha256, "
        "x-amz-security-token"
    ),
    "Access-Control-Expose-Headers": "x-amzn-requestid, x-amzn-errortype, x-amzn-errormessage",
    "Access-Control-Max-Age": "600",
}


@dataclass(frozen=True)
class LocalCognitoInfo:
    """Where the local Cognito listens and which pool/client to use."""

    endpoint_url: str
    region: str
    user_pool_id: str
    client_id: str
    client_secret: str | None = None
    #: the app client rotates refresh tokens (RefreshTokenRotation ENABLED)
    refresh_rotation: bool = False

    def as_dict(self) -> dict[str, str]:
        data = asdict(self)
        if data["client_secret"] is None:
            del data["client_secret"]
        if self.refresh_rotation:
            data["refresh_rotation"] = "true"
        else:
            del data["refresh_rotation"]
        return data

    def cognito_settings(self) -> CognitoSettings:
        """The gateway settings that point at this pool (with its client secret, if any)."""
        return CognitoSettings(
            user_pool_id=self.user_pool_id,
            client_id=self.client_id,
            client_secret=self.client_secret,
            region=self.region,
            endpoint_url=self.endpoint_url,
            refresh_rotation=self.refresh_rotation,
        )

    def as_environment(self) -> dict[str, str]:
        """The environment keys (CognitoSettings.from_env) that point the BFF at this pool."""
        return {
            "BFF_MODE": "local",
            "COGNITO_USER_POOL_ID": self.user_pool_id,
            "COGNITO_CLIENT_ID": self.client_id,
            "COGNITO_CLIENT_SECRET": self.client_secret or "",
            "COGNITO_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "COGNITO_REFRESH_ROTATION": "true" if self.refresh_rotation else "false",
        }


class _WireRequest(MotoRequest):
    from_wsgi_server = True


class _QuietHandler(WSGIRequestHandler):
    """No access log: request lines would be noise in test output."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    merged = dict(_CORS_HEADERS)
    merged.update(headers or {})
    return Response(json.dumps(payload), status=status, mimetype="application/json", headers=merged)


def _error(status: int, code: str, message: str) -> Response:
    return _json(
        status,
        {"__type": code, "message": message},
        {"x-amzn-errortype": code, "Content-Type": "application/x-amz-json-1.1"},
    )


#: Actions named like reads that change the pool: rotation replaces the refresh token.
_CHANGING_READS = frozenset({"GetTokensFromRefreshToken"})


def _reads_only(action: str) -> bool:
    """Actions that change nothing (no state write after them)."""
    if action in _CHANGING_READS:
        return False
    return action.startswith(("Get", "List", "Describe", "AdminGet", "AdminList"))


class LocalCognitoApp:
    """The WSGI application: Cognito actions plus the local-only endpoints.

    ``on_change`` (the state file's writer, when there is one) runs after every action that
    may change the pool, under the backend's lock, before the answer is sent."""

    def __init__(
        self, backend: LocalCognitoBackend, on_change: Callable[[], object] | None = None
    ) -> None:
        self.backend = backend
        self.on_change = on_change
        # The pool domain's OAuth 2.0 endpoints and managed login (oauth.py), and sign-in
        # through the pools' OIDC identity providers (federation.py).
        self.oauth = OAuthEndpoints(backend, on_change)
        self.oauth.federation = OidcFederation(backend)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = _WireRequest(environ)
        try:
            response = self.handle(request)
        except Exception:  # noqa: BLE001 - the server must answer, never die or leak a trace
            log.exception("local Cognito failed on %s %s", request.method, request.path)
            response = _error(500, "InternalErrorException", "Internal error in the local Cognito")
        return response(environ, start_response)

    def handle(self, request: _WireRequest) -> Response:
        if request.method == "OPTIONS":
            return Response(status=204, headers=_CORS_HEADERS)
        if self.oauth.handles(request.path):
            return self.oauth.handle(request)
        path = request.path.rstrip("/") or "/"
        if path.startswith("/_local/"):
            return self._local(request, path)
        if path.endswith("/.well-known/openid-configuration") and request.method == "GET":
            return self._openid_configuration(path)
        if path.endswith("/.well-known/jwks.json") and request.method == "GET":
            return self._jwks(path)
        target = request.headers.get("X-Amz-Target", "")
        if request.method != "POST" or path != "/" or not target.startswith(TARGET_PREFIX):
            return _error(
                404,
                "UnknownOperationException",
                "Not a Cognito user pools request (missing X-Amz-Target)",
            )
        action = target[len(TARGET_PREFIX) :]
        with self.backend.lock:
            try:
                status, headers, body = LocalCognitoResponse(self.backend)._dispatch(request)
            except NotImplementedError:
                return _error(
                    400,
                    "UnknownOperationException",
                    f"{action} is not implemented by the local Cognito",
                )
            if self.on_change is not None and not _reads_only(action):
                self.on_change()
        merged = {k: str(v) for k, v in headers.items() if k.lower() != "status"}
        merged.update(_CORS_HEADERS)
        merged.setdefault("Content-Type", "application/x-amz-json-1.1")
        return Response(body, status=int(status), headers=merged)

    def _openid_configuration(self, path: str) -> Response:
        """``/{pool id}/.well-known/openid-configuration``: the pool's issuer (its tokens'
        ``iss``) and the JWKS next to it, as Cognito serves them for each pool."""
        pool_id = path.split("/")[1]
        if pool_id not in self.backend.user_pools:
            return _error(404, "ResourceNotFoundException", f"User pool {pool_id} does not exist.")
        pool = self.backend.user_pools[pool_id]
        domain = self.backend.issuer_base if has_domain(self.backend, pool) else None
        return _json(200, openid_configuration(self.backend.issuer(pool_id), domain))

    def _jwks(self, path: str) -> Response:
        """``/{pool id}/.well-known/jwks.json``: the public half of the pool's own key."""
        pool_id = path.split("/")[1]
        with self.backend.lock:
            pool = self.backend.user_pools.get(pool_id)
            if pool is None:
                return _error(
                    404, "ResourceNotFoundException", f"User pool {pool_id} does not exist."
                )
            document = public_jwks(pool.json_web_key)
        return _json(200, document)

    def _local(self, request: _WireRequest, path: str) -> Response:
        if path == "/_local/health" and request.method == "GET":
            return _json(200, {"status": "ok"})
        if path == "/_local/outbox" and request.method == "GET":
            kind = request.args.get("kind")
            if kind is not None and kind not in KINDS:
                return _json(400, {"error": f"kind must be one of {list(KINDS)}"})
            with self.backend.lock:
                messages = self.backend.outbox.messages(request.args.get("to"), kind)
                status = statuses(self.backend, messages)
            return _json(
                200, [m.as_dict() | {"status": s} for m, s in zip(messages, status, strict=True)]
            )
        if path == "/_local/clock":
            if request.method == "GET":
                return _json(200, self._clock_state())
            if request.method == "POST":
                try:
                    payload = json.loads(request.get_data() or b"{}")
                    seconds = float(payload["advance_seconds"])
                    if seconds < 0 or seconds != seconds or seconds == float("inf"):
                        raise ValueError
                except (ValueError, KeyError, TypeError):
                    return _json(400, {"error": 'body must be {"advance_seconds": <number >= 0>}'})
                with self.backend.lock:
                    self.backend.clock.advance(seconds)
                    if self.on_change is not None:
                        self.on_change()
                return _json(200, self._clock_state())
        return _json(404, {"error": f"no local endpoint {request.method} {path}"})

    def _clock_state(self) -> dict[str, Any]:
        clock = self.backend.clock
        return {"offset_seconds": clock.offset, "now": clock.utcnow().isoformat()}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalCognito:
    """A local Cognito user pool served from a background thread.

    >>> with LocalCognito() as info:  # doctest: +SKIP
    ...     boto3.client("cognito-idp", endpoint_url=info.endpoint_url, region_name=info.region)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "eu-west-1",
        with_client_secret: bool = False,
        fallback_to_free_port: bool = False,
        state_dir: str | os.PathLike[str] | None = None,
        reset: bool = False,
        identity_provider: bool = False,
        identity_provider_port: int = 0,
    ) -> None:
        """``port`` 0 picks a free port; with ``fallback_to_free_port`` a taken ``port``
        is replaced by a free one (``fell_back`` then says so) instead of failing.

        With ``identity_provider`` the local OIDC identity provider (local_idp.py) starts
        too, on ``identity_provider_port`` (0: a free one; taken, with
        ``fallback_to_free_port``: a free one), and every pool provisioned from the
        template federates with it as ``LocalIdP``.

        With ``state_dir`` the pool is kept in that folder (local_cognito/state.py): a
        start finds the same pool, client, users, devices, tokens and outbox as the last
        run left; ``reset`` throws the folder's state away first. ``restored`` says whether
        the start found a saved pool."""
        if not _is_loopback(host):
            # The local-only endpoints (outbox, clock) have no authentication.
            raise ValueError(f"the local Cognito listens on loopback only, not {host!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0-65535, not {port}")
        self.host, self.port, self.region = host, port, region
        self.with_client_secret = with_client_secret
        self.fallback_to_free_port = fallback_to_free_port
        self.fell_back = False
        self.clock = Clock()
        self.outbox = Outbox()
        self.backend = LocalCognitoBackend(region, DEFAULT_ACCOUNT_ID, self.clock, self.outbox)
        self.state = StateStore(Path(state_dir)) if state_dir is not None else None
        self.reset = reset
        self.restored = False
        self._primary: dict[str, Any] | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._info: LocalCognitoInfo | None = None
        self.started_in: float | None = None
        self.identity_provider: LocalIdentityProvider | None = None
        if identity_provider:
            self.identity_provider = LocalIdentityProvider(host, identity_provider_port)
        self._idp_secret = secrets.token_urlsafe(32)

    @property
    def info(self) -> LocalCognitoInfo:
        if self._info is None:
            raise RuntimeError("the local Cognito is not started")
        return self._info

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the local Cognito is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> LocalCognitoInfo:
        """Bind, provision the pool, serve in a daemon thread; returns once it can answer."""
        if self._server is not None:
            return self.info
        began = time.perf_counter()
        saved = self._load_state()
        try:
            self._server = self._bind(self.port)
        except OSError as exc:
            if not (self.fallback_to_free_port and self.port and exc.errno == errno.EADDRINUSE):
                raise
            self._server = self._bind(0)
            self.fell_back = True
        # Tokens name this endpoint as their issuer (tokens.py), before any is issued.
        self.backend.issuer_base = self.endpoint_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-cognito", daemon=True
        )
        self._thread.start()
        if self.identity_provider is not None:
            self._start_identity_provider()
        if saved is not None:
            self._info = self._info_of(saved)
            self._relink_identity_provider()
        else:
            self._info = self.provision(with_client_secret=self.with_client_secret)
            self._primary = {
                "user_pool_id": self._info.user_pool_id,
                "client_id": self._info.client_id,
            }
            self.persist()
        self.started_in = time.perf_counter() - began
        return self._info

    def _start_identity_provider(self) -> None:
        idp = self.identity_provider
        assert idp is not None
        try:
            idp.start()
        except OSError as exc:
            if not (self.fallback_to_free_port and idp.port and exc.errno == errno.EADDRINUSE):
                raise
            idp.port = 0
            idp.start()
        # The pool's client at the provider: this start's secret, Cognito's idpresponse.
        idp.register_client(
            LOCAL_IDP_CLIENT_ID, self._idp_secret, f"{self.endpoint_url}/oauth2/idpresponse"
        )

    def _identity_provider_parameters(self) -> dict[str, str]:
        """The template parameters that make a pool federate with the local provider."""
        if self.identity_provider is None:
            return {}
        return {
            "OidcProviderIssuer": self.identity_provider.issuer,
            "OidcProviderClientId": LOCAL_IDP_CLIENT_ID,
            "OidcProviderClientSecret": self._idp_secret,
        }

    def _relink_identity_provider(self) -> None:
        """A restored pool's LocalIdP names the last run's provider (another port, another
        secret): point it at this run's."""
        parameters = self._identity_provider_parameters()
        if not parameters:
            return
        details = {
            "oidc_issuer": parameters["OidcProviderIssuer"],
            "client_id": parameters["OidcProviderClientId"],
            "client_secret": parameters["OidcProviderClientSecret"],
        }
        with self.backend.lock:
            for pool in self.backend.user_pools.values():
                provider = pool.identity_providers.get(LOCAL_IDP_NAME)
                if provider is not None:
                    provider.extended_config.setdefault("ProviderDetails", {}).update(details)
        self.persist()

    def allow_oauth_urls(self, callback_urls: list[str], logout_urls: list[str]) -> None:
        """Add URLs to the primary app client's CallbackURLs and LogoutURLs (as a developer
        adds them in the console), for a BFF on a port the template did not name: Cognito
        compares redirect URIs exactly, port included."""
        with self.backend.lock:
            client = self.backend.user_pools[self.info.user_pool_id].clients[self.info.client_id]
            config = client.extended_config
            for name, urls in (("CallbackURLs", callback_urls), ("LogoutURLs", logout_urls)):
                known = list(config.get(name) or [])
                config[name] = known + [url for url in urls if url not in known]
        self.persist()

    def _load_state(self) -> dict[str, Any] | None:
        """The saved primary pool/client, once the backend holds the saved state."""
        if self.state is None:
            return None
        if self.reset:
            self.state.reset()
        data = self.state.load()
        if data is None:
            return None
        with self.backend.lock:
            primary = restore(self.backend, data)
        if primary is None or primary.get("user_pool_id") not in self.backend.user_pools:
            return None
        self._primary = primary
        self.restored = True
        return primary

    def _info_of(self, primary: dict[str, Any]) -> LocalCognitoInfo:
        pool = self.backend.user_pools[primary["user_pool_id"]]
        client = pool.clients[primary["client_id"]]
        return LocalCognitoInfo(
            endpoint_url=self.endpoint_url,
            region=self.region,
            user_pool_id=pool.id,
            client_id=client.id,
            client_secret=client.secret if client.generate_secret else None,
            refresh_rotation=Rotation.of(client).enabled,
        )

    def persist(self) -> bool:
        """Write the state folder now (done after every change); False without a folder or
        when nothing changed since the last write."""
        if self.state is None:
            return False
        with self.backend.lock:
            return self.state.save(snapshot(self.backend, self._primary))

    def _bind(self, port: int) -> BaseWSGIServer:
        """Serve on a socket bound here: werkzeug exits the process (instead of raising)
        when it cannot bind, which would leave no chance to fall back or report."""
        listener = socket.create_server((self.host, port), reuse_port=False)
        try:
            return make_server(
                self.host,
                listener.getsockname()[1],
                LocalCognitoApp(self.backend, self.persist if self.state is not None else None),
                threaded=True,
                request_handler=_QuietHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves on its own duplicate of the descriptor

    def stop(self) -> None:
        if self.identity_provider is not None:
            self.identity_provider.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> LocalCognitoInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def provision(
        self,
        with_client_secret: bool = False,
        parameters: dict[str, str] | None = None,
        **overrides: Any,
    ) -> LocalCognitoInfo:
        """Another pool + client from the template; ``parameters`` are template parameter
        values (``EmailSourceArn``, ``EmailFrom``...); ``overrides`` are CloudFormation
        property names of the pool (e.g. ``MfaConfiguration="OPTIONAL"``) or of the client
        (e.g. ``AuthSessionValidity=5``, ``ExplicitAuthFlows=[...]``)."""
        parameters = {**self._identity_provider_parameters(), **(parameters or {})}
        definition = pool_definition(with_client_secret=with_client_secret, parameters=parameters)
        definition = _apply_overrides(definition, overrides)
        backend = self.backend
        with backend.lock:
            create_config = dict(definition.create_user_pool)
            passkeys = webauthn.template_settings(create_config)
            pool = backend.create_user_pool(definition.pool_name, create_config)
            webauthn.provision(backend, pool, passkeys)
            if definition.mfa_config:
                # moto types both configurations as dicts; None is what a pool without SMS
                # MFA (or without TOTP) has, and DescribeUserPool then leaves it out.
                backend.set_user_pool_mfa_config(
                    pool.id,
                    definition.mfa_config.get("SmsMfaConfiguration"),  # type: ignore[arg-type]
                    definition.mfa_config.get("SoftwareTokenMfaConfiguration"),  # type: ignore[arg-type]
                    definition.mfa_config["MfaConfiguration"],
                )
                if "EmailMfaConfiguration" in definition.mfa_config:
                    choice.with_email_mfa_config(
                        backend, pool.id, None, definition.mfa_config["EmailMfaConfiguration"]
                    )
            for provider in definition.identity_providers:
                details = dict(provider)
                backend.create_identity_provider(pool.id, details.pop("ProviderName"), details)
            if definition.domain:
                backend.create_user_pool_domain(pool.id, _free_domain(backend, definition.domain))
            client_config = dict(definition.create_user_pool_client)
            generate_secret = bool(client_config.pop("GenerateSecret", False))
            client = backend.create_user_pool_client(pool.id, generate_secret, client_config)
        if self._primary is not None:
            self.persist()
        return LocalCognitoInfo(
            endpoint_url=self.endpoint_url,
            region=self.region,
            user_pool_id=pool.id,
            client_id=client.id,
            client_secret=client.secret if generate_secret else None,
            refresh_rotation=Rotation.of(client).enabled,
        )

    def client(self, **kwargs: Any) -> Any:
        """A boto3 cognito-idp client on this local Cognito (fake credentials if none set)."""
        return make_boto3_client(self.info, **kwargs)


def _free_domain(backend: LocalCognitoBackend, prefix: str) -> str:
    """``prefix``, or ``prefix-<pool suffix>`` when another local pool has it already:
    every local pool's domain is served on the one local endpoint, so the name only has to
    be unique (Cognito's are unique per region)."""
    domain, number = prefix, 1
    while domain in backend.user_pool_domains:
        number += 1
        domain = f"{prefix}-{number}"
    return domain


_CLIENT_PROPERTIES = {
    "ClientName",
    "GenerateSecret",
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
}


def _apply_overrides(definition: PoolDefinition, overrides: dict[str, Any]) -> PoolDefinition:
    pool = dict(definition.create_user_pool)
    client = dict(definition.create_user_pool_client)
    mfa = dict(definition.mfa_config) if definition.mfa_config else None
    for key, value in overrides.items():
        if key in _CLIENT_PROPERTIES:
            client[key] = value
        elif key == "MfaConfiguration":
            if value == "OFF":
                mfa = None
            else:
                mfa = {
                    "MfaConfiguration": value,
                    "SoftwareTokenMfaConfiguration": {"Enabled": True},
                }
        elif key[:1].isupper():
            pool[key] = value
        else:
            raise ValueError(f"unknown override {key!r}: use CloudFormation property names")
    if "AuthSessionValidity" in client and not 3 <= int(client["AuthSessionValidity"]) <= 15:
        raise ValueError("AuthSessionValidity must be between 3 and 15 minutes")
    return dataclasses.replace(
        definition, create_user_pool=pool, mfa_config=mfa, create_user_pool_client=client
    )


FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def make_boto3_client(info: LocalCognitoInfo, **kwargs: Any) -> Any:
    """A boto3 cognito-idp client for ``info``; fake static credentials when none are set.

    boto3 signs every request and needs some credentials; the local Cognito ignores them.
    """
    import boto3

    options: dict[str, Any] = {"endpoint_url": info.endpoint_url, "region_name": info.region}
    if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        options.update(FAKE_CREDENTIALS)
    options.update(kwargs)
    return boto3.client("cognito-idp", **options)
