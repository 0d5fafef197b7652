"""The test suite's root: safe environment first, then the shared plugins of tests/support.

Dummy AWS credentials are set before anything imports boto3 so no test can reach a real
account (the local Cognito ignores the signature), and every app or `bff` subprocess a test
starts without its own instance folder gets a temporary one, never the repository's
instance/. The modules with slow or browser tests run first (see
``pytest_collection_modifyitems``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)

pytest_plugins = [
    "tests.support.cognito",
    "tests.support.redis_server",
    "tests.support.redis_topologies",
]


@pytest.fixture(scope="session", autouse=True)
def temporary_instance_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """BFF_INSTANCE_PATH for the whole session: a temporary folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BFF_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with ``slow`` or ``browser`` tests first, every module's tests in their own
    order. With pytest-xdist (.ci/run: a module stays on one worker) the long modules start
    while the others share out the short ones, instead of one of them ending the run alone."""
    slow = {
        item.path
        for item in items
        if item.get_closest_marker("slow") or item.get_closest_marker("browser")
    }
    items.sort(key=lambda item: item.path not in slow)  # a stable sort: order kept within
