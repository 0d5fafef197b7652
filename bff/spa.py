"""A team's own built SPA served by the BFF (``BFF_SPA_DIR``): one origin, one process.

For teams that would rather not run a web server in front of the BFF just for a folder of
static files (docs/hosting.md shows the reverse-proxy way too). The folder is what a build
tool writes (``npm run build``: ``index.html`` and hashed assets):

* a file of the folder is served as it is; a path with no such file and no extension is a
  page of the SPA's own router (``/account/devices``), answered with ``index.html`` (the
  history-API fallback); a missing file with an extension (``/logo.png``) is a plain 404,
  never the page;
* only GET and HEAD, and never a path of the BFF's own: ``/api/...``, ``/healthz``,
  ``/readyz``, ``/metrics``, ``/docs``, ``/demo/...`` do not even match the SPA's route, so
  their 404s and 405s stay the API's;
* nothing outside the folder: ``..``, absolute paths and symlinks leading out are 404, and
  so are dotfiles (``.env``, ``.git/``), which a build folder should not hold anyway;
* caching: a file whose name carries a content hash (``index-4f3a9c1b.js``,
  ``main.3f2a1b9c.css``: a ``.``/``-`` separated token of 8 or more letters and digits,
  with at least one of each) never changes, so it is ``public, max-age=31536000,
  immutable``; everything else (``index.html`` above all, which names the current hashed
  files) is ``no-cache``: revalidated with its ETag on every load, so a deploy is seen at
  once;
* its own Content-Security-Policy (``SPA_CSP``): same-origin scripts, styles, fetches and
  images, never framed. An SPA that needs more sets it at its reverse proxy.
"""

from __future__ import annotations

import os
import re

from flask import Blueprint, Flask, Response, send_file
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter
from werkzeug.security import safe_join

#: First path segments that belong to the BFF, never to the SPA.
RESERVED = ("api", "healthz", "readyz", "metrics", "docs", "demo")
SPA_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HASHED = re.compile(r"[.-](?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{8,}\.\w+$")


class SpaPathConverter(BaseConverter):
    """A path that is not the BFF's: the SPA's route never matches ``/api/...`` & co."""

    regex = r"(?!(?:" + "|".join(RESERVED) + r")(?:/|$))[^/].*?"
    part_isolating = False


def is_hashed(name: str) -> bool:
    """Whether a file name carries a content hash (then its content never changes)."""
    return _HASHED.search(name) is not None


def _file(root: str, path: str) -> Response:
    response = send_file(os.path.join(root, path), conditional=True, max_age=None)
    response.headers["Cache-Control"] = IMMUTABLE if is_hashed(path) else REVALIDATE
    response.headers["Content-Security-Policy"] = SPA_CSP
    return response


def _inside(root: str, path: str) -> str | None:
    """``path``'s file inside ``root``, or None: traversal, dotfiles, symlinks out."""
    if any(part.startswith(".") for part in path.split("/")):
        return None
    joined = safe_join(root, path)
    if joined is None:
        return None
    real = os.path.realpath(joined)
    if os.path.commonpath([real, root]) != root or not os.path.isfile(real):
        return None
    return os.path.relpath(real, root)


def serve(root: str, path: str) -> Response:
    """The file at ``path``, or ``index.html`` for a page of the SPA's router."""
    if path:
        found = _inside(root, path)
        if found is not None:
            return _file(root, found)
        if "." in path.rsplit("/", 1)[-1]:
            raise NotFound()  # a missing asset: a 404, not the page in its place
    return _file(root, "index.html")


def init_app(app: Flask, folder: str) -> None:
    """Serve the built SPA in ``folder`` (validated by bff.config: it has index.html)."""
    root = os.path.realpath(folder)
    app.url_map.converters["spa_path"] = SpaPathConverter
    spa = Blueprint("spa", __name__)

    @spa.get("/", defaults={"path": ""})
    @spa.get("/<spa_path:path>")
    def page(path: str) -> Response:
        return serve(root, path)

    app.register_blueprint(spa)
