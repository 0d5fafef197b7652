"""One normal form for usernames, used wherever the BFF compares two of them or counts
something per username (rate limits, failure budgets, the sign-in delay, the index of a
user's sessions), so that no spelling of a name gets a budget of its own.

The pool is case-insensitive (``UsernameConfiguration.CaseSensitive: false``): Cognito
treats "any variation in case as the same user" (AWS CloudFormation reference,
AWS::Cognito::UserPool UsernameConfiguration). Cognito documents capitalisation only, not
which Unicode case mapping or normalisation it applies, so the key here is the wider one:
Unicode's compatibility caseless match (The Unicode Standard, section 3.13, definition
D146: NFKD(casefold(NFKD(casefold(NFD(name)))))), kept composed (NFKC). "Straße",
"STRASSE" and "ﬆraße" are one key; so are "ﬁle" and "FILE". Merging more spellings than
Cognito does can only make a budget stricter, never give a spelling a second one.
"""

from __future__ import annotations

import hashlib
import unicodedata


def canonical_username(username: str) -> str:
    """``username`` in its one normal form: trimmed, compatibility caseless (D146), NFKC."""
    folded = unicodedata.normalize("NFD", username.strip()).casefold()
    folded = unicodedata.normalize("NFKD", folded).casefold()
    return unicodedata.normalize("NFKC", folded)


def same_username(first: str, second: str) -> bool:
    """Whether two spellings name one user (the pool is case-insensitive)."""
    return canonical_username(first) == canonical_username(second)


def username_digest(username: str) -> str:
    """A key for ``username`` that holds no e-mail address: 32 hex digits of the SHA-256
    of its normal form."""
    return hashlib.sha256(canonical_username(username).encode()).hexdigest()[:32]
