"""Helpers shared by the whole test suite, importable as ``tests.support.*`` (pyproject's
``pythonpath`` puts the repository root on ``sys.path``).

- ``clock``: clocks a test moves (``FakeClock``, ``StoreClock``).
- ``totp``: TOTP codes at the local Cognito's time, and ones it has not seen yet
  (``totp_code``, ``fresh_totp``, which moves its clock a step on instead of waiting).
- ``passwords``: the passwords test users sign up with.
- ``programs``: ``require_program``, the skip-or-fail rule for redis-server, chromium and
  mermaid-cli (skip outside CI, fail with ``CI=true``).
- ``serve``: ``bff_serve``, `bff serve` as a subprocess with a temporary instance folder.
- ``challenges``: challenge answers through the gateway without a flow (the SRP password
  sign-in, whole device sign-ins, every user), as the runtime's handlers build them.
- ``nginx``: the nginx program and a throw-away certificate, for the tests that run the
  docs' reverse-proxy configurations.
- ``cognito`` and ``redis_server``: pytest plugins (loaded by ``pytest_plugins`` in
  tests/conftest.py) with the session's local Cognito (and its clock, ``cognito_clock``)
  and a private redis-server.
"""
