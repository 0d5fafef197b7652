"""The page a browser lands on when a managed-login sign-in fails.

The sign-in and its callback are top-level navigations, not the SPA's fetches: a browser
that asked for HTML (its ``Accept`` header prefers ``text/html``) gets a small page with
the error's message, its code and a link back to the app, with the error's status and
``Retry-After``; any other client gets the one JSON error shape. The page holds no script,
no style and nothing the request sent (a provider's ``error_description`` is never shown).
"""

from __future__ import annotations

from html import escape

from flask import Request, Response

from bff.errors import BffError

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign-in failed</title>
<meta name="referrer" content="no-referrer"></head>
<body>
<main>
<h1>Sign-in failed</h1>
<p id="message">{message}</p>
<p>Error code: <code id="code">{code}</code>{retry}</p>
<p><a id="back" href="{back}">Back to the app</a></p>
</main>
</body>
</html>
"""


def wants_html(request: Request) -> bool:
    """Whether the client prefers a page to JSON (a browser's navigation does)."""
    accepted = request.accept_mimetypes
    best = accepted.best_match(["application/json", "text/html"])
    return best == "text/html" and accepted["text/html"] > accepted["application/json"]


def error_page(error: BffError, *, back: str = "/") -> Response:
    """``error`` as a page, with its status and ``Retry-After`` when it has one."""
    wait = error.details.get("retry_after")
    retry = f" Try again in {int(wait)} seconds." if isinstance(wait, int) else ""
    body = _PAGE.format(
        message=escape(error.message), code=escape(error.code), retry=retry, back=escape(back)
    )
    response = Response(body, status=error.status, mimetype="text/html")
    response.headers.update(error.headers)
    if isinstance(wait, int):
        response.headers["Retry-After"] = str(wait)
    response.headers["Cache-Control"] = "no-store"
    return response
