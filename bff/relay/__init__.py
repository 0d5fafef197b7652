"""The BFF's other half: the SPA's API calls, with the user's token attached and kept fresh.

- Remote APIs (``BFF_REMOTE_APIS``, bff.remote_apis): ``<prefix><path>`` is forwarded to the
  configured upstream with the user's access token as ``Authorization: Bearer``, within an
  explicit allow-list of methods and paths (bff.relay.views, .paths, .forward).
- Local APIs: ``@local_api`` for a team's own Flask views (bff.relay.local).
- ``GET /api/session`` (bff.api.session_status_views): the user's claims and the
  session's time left.

The access token is refreshed once per session when it is about to expire
(bff.relay.session_access). docs/apis.md describes the configuration and the rules. This
package imports nothing of bff.api, so the API can use it.
"""

from __future__ import annotations

from bff.relay.local import local_api
from bff.relay.session_access import SignedInUser
from bff.remote_apis import RemoteApi

__all__ = ["RemoteApi", "SignedInUser", "local_api"]
