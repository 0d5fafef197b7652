"""Helpers shared by the whole test suite, importable as ``tests.support.*`` (pyproject's
``pythonpath`` puts the repository root on ``sys.path``).

- ``clock``: clocks a test moves (``FakeClock``, ``StoreClock``).
- ``totp``: TOTP codes the server has not seen yet (``fresh_totp``, ``totp_code``).
- ``passwords``: the passwords test users sign up with.
- ``programs``: ``require_program``, the skip-or-fail rule for redis-server, chromium and
  mermaid-cli (skip outside CI, fail with ``CI=true``).
- ``serve``: ``bff_serve``, `bff serve` as a subprocess with a temporary instance folder.
- ``cognito`` and ``redis_server``: pytest plugins (loaded by ``pytest_plugins`` in
  tests/conftest.py) with the session's local Cognito and a private redis-server.
"""
