"""Whether a message of the outbox still works: the ``status`` of each in /_local/outbox.

A developer reading the outbox (the demo page's panel, ``bff outbox``) should not be
offered a code that Cognito would refuse. Worked out when the outbox is read, from what the
local Cognito keeps about the user:

* ``valid``: the user's current code or temporary password, within its lifetime (a texted
  MFA code or an emailed sign-in code: while its challenge waits for it);
* ``expired``: the current one, past its lifetime (24 h for a sign-up code, 1 h for a
  reset code, the pool's TemporaryPasswordValidityDays for a temporary password);
* ``used``: the newest of its kind for that user, no longer current (confirmed, reset, the
  new password set; or a reset code cleared after its hour, as Cognito forgets it);
* ``replaced``: an older one, superseded by a newer message of the same kind (Cognito keeps
  only the newest code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moto.cognitoidp.models import UserStatus

from . import mfa_factors
from .choice import EMAIL_OTP_KIND, email_code_current
from .outbox import OutboxMessage

if TYPE_CHECKING:
    from .fidelity import LocalCognitoBackend

VALID, EXPIRED, USED, REPLACED = "valid", "expired", "used", "replaced"
STATUSES = (VALID, EXPIRED, USED, REPLACED)


def _key(message: OutboxMessage) -> tuple[str, str, str]:
    return (message.user_pool_id, message.username, message.kind)


def _current(backend: LocalCognitoBackend, message: OutboxMessage) -> tuple[bool, float | None]:
    """Whether ``message`` holds the user's current secret of its kind, and when that ends."""
    pool = backend.user_pools.get(message.user_pool_id)
    user = pool._get_user(message.username) if pool is not None else None
    if user is None:
        return False, None
    state = backend.state(user)
    if message.kind == "confirmation_code":
        return (
            bool(state.confirmation_code) and state.confirmation_code == message.code,
            state.confirmation_expires_at,
        )
    if message.kind == "password_reset_code":
        return (
            bool(state.reset_code) and state.reset_code == message.code,
            state.reset_code_expires_at,
        )
    if message.kind == EMAIL_OTP_KIND:
        return email_code_current(backend, message.username, message.code)
    if message.kind == "temporary_password":
        current = (
            user.status == UserStatus.FORCE_CHANGE_PASSWORD
            and user.password == message.temporary_password
        )
        return current, state.temporary_password_expires_at
    if message.kind in mfa_factors.TEXTED_KINDS:
        return mfa_factors.code_status(backend, message)
    return False, None


def statuses(backend: LocalCognitoBackend, messages: list[OutboxMessage]) -> list[str]:
    """The status of each of ``messages`` (call under the backend's lock)."""
    newest: dict[tuple[str, str, str], OutboxMessage] = {}
    for message in backend.outbox.messages():
        newest[_key(message)] = message  # oldest first: the last one wins
    now = backend.clock.now()
    found = []
    for message in messages:
        current, ends = _current(backend, message)
        if current:
            found.append(EXPIRED if ends is not None and now > ends else VALID)
        else:
            found.append(USED if newest.get(_key(message)) is message else REPLACED)
    return found
