"""The managed login's HTML: the sign-in page, the MFA code page, the error page.

Plain pages, no script. Every value shown is HTML-escaped; every form carries the sign-in's
CSRF token (``_csrf``, checked against the ``XSRF-TOKEN`` cookie and the sign-in record,
as Cognito's own hosted UI names them); the pages forbid framing and caching.
"""

from __future__ import annotations

from html import escape

from werkzeug.wrappers import Response

#: No script, no framing, no external resource; forms post to this origin (the redirect
#: that follows a form goes to the client's callback, which form-action would also have to
#: name, so it is left to the browser's default).
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
}
_STYLE = (
    "body{font-family:sans-serif;max-width:22rem;margin:3rem auto;padding:0 1rem}"
    "label,input,button{display:block;width:100%;margin:.4rem 0;box-sizing:border-box}"
    "input,button{padding:.5rem}.error{color:#a00}.or{margin:1.2rem 0;text-align:center}"
)


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return Response(html, status=status, mimetype="text/html", headers=_HEADERS)


def _hidden(login_id: str, csrf: str) -> str:
    return (
        f'<input type="hidden" name="login_request" value="{escape(login_id)}">'
        f'<input type="hidden" name="_csrf" value="{escape(csrf)}">'
    )


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def sign_in_page(
    login_id: str,
    csrf: str,
    *,
    with_password: bool,
    providers: tuple[str, ...],
    error: str | None = None,
    username: str = "",
    status: int = 200,
) -> Response:
    """Username and password (when the client allows the pool's own users), and a button
    per identity provider the client supports."""
    parts = [_error(error)]
    if with_password:
        parts.append(
            '<form method="post" action="/login">'
            + _hidden(login_id, csrf)
            + '<label for="username">Username</label>'
            f'<input id="username" name="username" autocomplete="username" required '
            f'value="{escape(username)}">'
            '<label for="password">Password</label>'
            '<input id="password" name="password" type="password" '
            'autocomplete="current-password" required>'
            "<button type=submit>Sign in</button></form>"
        )
    for index, provider in enumerate(providers):
        if index == 0 and with_password:
            parts.append('<p class="or">or</p>')
        parts.append(
            '<form method="post" action="/login/provider">'
            + _hidden(login_id, csrf)
            + f'<input type="hidden" name="provider" value="{escape(provider)}">'
            f"<button type=submit>Continue with {escape(provider)}</button></form>"
        )
    return _page("Sign in", "".join(parts), status)


def mfa_page(
    login_id: str,
    csrf: str,
    error: str | None = None,
    status: int = 200,
    email_to: str | None = None,
) -> Response:
    """The code of the user's authenticator app (TOTP MFA), or, with ``email_to``, the code
    emailed to that (masked) address (email MFA)."""
    action = "/login/email-mfa" if email_to else "/login/mfa"
    label = f"Code we emailed to {email_to}" if email_to else "Code from your authenticator app"
    body = (
        _error(error)
        + f'<form method="post" action="{action}">'
        + _hidden(login_id, csrf)
        + f'<label for="code">{escape(label)}</label>'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" '
        'pattern="[0-9]{6}" required>'
        "<button type=submit>Sign in</button></form>"
    )
    return _page("Enter your code", body, status)


def new_password_page(
    login_id: str, csrf: str, error: str | None = None, status: int = 200
) -> Response:
    """A user signing in with a temporary password chooses their own."""
    body = (
        _error(error)
        + "<p>Your password is temporary: choose your own.</p>"
        + '<form method="post" action="/login/new-password">'
        + _hidden(login_id, csrf)
        + '<label for="new_password">New password</label>'
        '<input id="new_password" name="new_password" type="password" '
        'autocomplete="new-password" required>'
        '<label for="confirm_password">New password again</label>'
        '<input id="confirm_password" name="confirm_password" type="password" '
        'autocomplete="new-password" required>'
        "<button type=submit>Set password and sign in</button></form>"
    )
    return _page("Choose a password", body, status)


def mfa_setup_page(
    login_id: str,
    csrf: str,
    secret: str,
    uri: str,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The pool requires MFA: add this secret to an authenticator app, enter its code."""
    body = (
        _error(error)
        + "<p>Add this key to your authenticator app, then enter the code it shows.</p>"
        f'<p><code id="secret">{escape(secret)}</code></p>'
        f'<p><small>or its URI: <code id="otpauth">{escape(uri)}</code></small></p>'
        '<form method="post" action="/login/mfa-setup">'
        + _hidden(login_id, csrf)
        + '<label for="code">Code from your authenticator app</label>'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" '
        'pattern="[0-9]{6}" required>'
        "<button type=submit>Verify and sign in</button></form>"
    )
    return _page("Set up MFA", body, status)


def error_page(error: str, description: str, status: int = 400) -> Response:
    """A refusal that cannot go back to the client (no valid redirect_uri to send it to)."""
    body = f'<p class="error" role="alert"><code>{escape(error)}</code>: {escape(description)}</p>'
    return _page("Sign-in error", body, status)
