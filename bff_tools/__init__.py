"""The project's tools: the ``bff`` command line and what only it uses.

``bff serve`` (the BFF and a local Cognito on a laptop), ``bff local-cognito`` and
``bff outbox``, ``bff scenario``, ``bff qa run``, ``bff journal``, ``bff replay`` and
``bff docs``. None of it is imported by the runtime (``bff``): each command's module is
loaded only when that command runs (see ``bff_tools.cli``).
"""
