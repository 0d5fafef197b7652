"""How to install one of the project's extras, said right for where the code runs.

The messages that name a missing extra (the local Cognito, YAML for ``bff qa``, gunicorn)
tell a developer in a checkout ``pip install -e '.[local]'``, and anyone else (an install
from a wheel or an index, where there is no ``.`` to install) ``pip install
'cognito-bff[local]'``.
"""

from __future__ import annotations

from pathlib import Path

DISTRIBUTION = "cognito-bff"
#: A top-level module a missing import names -> the extra that brings it.
EXTRA_OF_MODULE = {
    "moto": "local",
    "local_cognito": "local",
    "yaml": "local",
    "gunicorn": "prod",
}


def checkout_root() -> Path | None:
    """The checkout this code runs from (an editable install included), or None."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "bff_tools").is_dir():
        return root
    return None


def install_command(extra: str) -> str:
    """The pip command that installs ``extra`` here."""
    if checkout_root() is not None:
        return f"pip install -e '.[{extra}]'"
    return f"pip install '{DISTRIBUTION}[{extra}]'"
