"""Managed login: the BFF as an OAuth 2.0 confidential client of the user pool's domain.

The step-by-step sign-in (bff.flows.signin) answers Cognito's challenges itself. Managed
login and federated identity providers ("Continue with LocalIdP") exist only behind the
pool's OAuth 2.0 endpoints, so the BFF also signs users in with the authorization code
grant, as RFC 10017 (OAuth 2.0 for Browser-Based Applications) asks of a BFF: a
confidential client (client secret), PKCE S256, ``state`` and ``nonce`` kept server-side
and bound to the browser by a cookie, the exact registered ``redirect_uri``. Both kinds of
sign-in end in the same server-side session and the same journal.

- bff.oauth.settings: the ``BFF_OAUTH_*`` settings, checked at start, and the
  ``return_to`` allow-list;
- bff.oauth.pre_sign_in: the short-lived record a sign-in starts with (state, nonce, PKCE
  verifier); bff.oauth.cookie: the cookie that names it;
- bff.oauth.pages: the page a browser lands on when a sign-in fails.

The pool domain's endpoints are called by bff.cognito.oauth_endpoints and the ID token is
checked by bff.cognito.id_tokens (bff.cognito is the only code calling Cognito); the
routes are bff.api.oauth_views; the session opened is bff.flows.oauth's.

This package's ``settings`` module imports nothing of the BFF: bff.config reads it while
loading the settings.
"""
