"""The BFF's other half: the SPA's API calls, with the user's token attached and kept fresh.

- Remote APIs (``BFF_REMOTE_APIS``, bff.remote_apis): ``<prefix><path>`` is forwarded to
  the configured upstream with the user's access token as ``Authorization: Bearer``,
  within an explicit allow-list of methods and paths (bff.relay.views, .paths, .forward).
- Local APIs: ``@local_api`` for a team's own Flask views (bff.relay.local).
- ``GET /api/session``: the user's claims and the session's time left.

The access token is refreshed once per session when it is about to expire
(bff.relay.session_access). docs/apis.md describes the configuration and the rules.
"""

from __future__ import annotations

import logging

from flask import Flask
from flask_smorest import Api

from bff.config import BffSettings
from bff.relay.forward import Upstream
from bff.relay.local import local_api
from bff.relay.session_access import SignedInUser
from bff.relay.views import add_proxy_route, blp, is_proxy_endpoint
from bff.remote_apis import RemoteApi, is_loopback

log = logging.getLogger(__name__)
EXTENSION = "bff_relay"

__all__ = ["RemoteApi", "SignedInUser", "init_app", "is_proxy_endpoint", "local_api"]


def init_app(app: Flask, settings: BffSettings, api: Api) -> dict[str, Upstream]:
    """Register ``/api/session`` (documented in ``api``) and one route per remote API."""
    api.register_blueprint(blp)
    upstreams: dict[str, Upstream] = {}
    for remote in settings.remote_apis:
        if remote.scheme == "http" and not is_loopback(remote.host) and not settings.is_local:
            log.warning(
                "remote API %s: the access token goes to %s over plain http", remote.name,
                remote.host,
            )  # fmt: skip
        upstream = Upstream.open(remote)
        upstreams[remote.name] = upstream
        add_proxy_route(app, upstream)
    app.extensions[EXTENSION] = upstreams
    return upstreams
