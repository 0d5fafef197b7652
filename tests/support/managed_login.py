"""A browser without a browser for the local Cognito's managed login: follows
``/oauth2/authorize``, reads the sign-in page's forms, posts them with the page's cookies,
and stops at the redirect to the client's callback (or anywhere off the local Cognito).

Tests of the pool's OAuth endpoints, and of clients of them, use it to sign in through the
page over HTTP; the chromium test does the same with a real browser.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from local_cognito.local_idp import load_users


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    """Every form of a page: its action and its inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.errors: list[str] = []
        self._in_error = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", "")))
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1].fields[values["name"]] = values.get("value", "")
        elif tag == "p" and values.get("class") == "error":
            self._in_error = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_error = False

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.errors.append(data)


def forms_of(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


@dataclass
class Page:
    """Where the last step landed: a page of the local Cognito, or a redirect away."""

    response: requests.Response
    #: the Location of a redirect off the local Cognito (the client's callback), else None
    left_to: str | None = None

    @property
    def forms(self) -> list[Form]:
        return forms_of(self.response.text).forms

    @property
    def error(self) -> str:
        return " ".join(forms_of(self.response.text).errors)

    def form(self, action: str) -> Form:
        for form in self.forms:
            if form.action == action:
                return form
        raise AssertionError(f"no form posting to {action} on {self.response.text[:500]}")

    @property
    def query(self) -> dict[str, str]:
        """The redirect's query parameters (code, state, error...)."""
        assert self.left_to is not None, self.response.text[:500]
        return {k: v[0] for k, v in parse_qs(urlsplit(self.left_to).query).items()}


class ManagedLogin:
    """One browser (one cookie jar) on the local Cognito at ``endpoint``."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.http = requests.Session()

    def _follow(self, response: requests.Response) -> Page:
        """Follow redirects while they stay on the local Cognito."""
        while response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if not location.startswith(self.endpoint + "/"):
                return Page(response, location)
            response = self.http.get(location, allow_redirects=False, timeout=10)
        return Page(response)

    def authorize(self, **params: str) -> Page:
        url = f"{self.endpoint}/oauth2/authorize?{urlencode(params)}"
        return self._follow(self.http.get(url, allow_redirects=False, timeout=10))

    def get(self, url: str) -> Page:
        return self._follow(self.http.get(url, allow_redirects=False, timeout=10))

    def submit(self, page: Page, action: str, **values: str) -> Page:
        form = page.form(action)
        data = {**form.fields, **values}
        url = urljoin(page.response.url, form.action)
        return self._follow(self.http.post(url, data=data, allow_redirects=False, timeout=10))

    def at_provider(self, page: Page, email: str | None) -> Page:
        """On the local identity provider's page (where ``page`` left to): choose the test
        user ``email`` (None: an unknown user, which the provider denies), and follow the
        way back through the local Cognito."""
        assert page.left_to is not None, page.response.text[:500]
        chooser = self.http.get(page.left_to, allow_redirects=False, timeout=10)
        assert chooser.status_code == 200, chooser.text[:500]
        forms = forms_of(chooser.text).forms
        subs = {user.email: user.sub for user in load_users()}
        wanted = subs[email] if email is not None else "nobody"
        if email is None:
            form = Form(forms[0].action, {**forms[0].fields, "user": wanted})
        else:
            form = next(f for f in forms if f.fields["user"] == wanted)
        answer = self.http.post(
            urljoin(chooser.url, form.action), data=form.fields, allow_redirects=False, timeout=10
        )
        assert answer.is_redirect, answer.text[:500]
        return self.get(urljoin(chooser.url, answer.headers["Location"]))

    def sign_in(self, page: Page, username: str, password: str, totp: Any = None) -> Page:
        """Password, then (``totp``: a callable giving a fresh code) the MFA code."""
        page = self.submit(page, "/login", username=username, password=password)
        if page.left_to is None and totp is not None:
            page = self.submit(page, "/login/mfa", code=totp())
        return page


def token_request(
    endpoint: str, client_id: str, client_secret: str | None, **form: str
) -> requests.Response:
    """POST /oauth2/token as a confidential client (HTTP Basic) or a public one."""
    auth = (client_id, client_secret) if client_secret is not None else None
    if auth is None:
        form.setdefault("client_id", client_id)
    return requests.post(f"{endpoint}/oauth2/token", data=form, auth=auth, timeout=10)
