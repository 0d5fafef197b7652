"""The infrastructure tests' fixtures; they live in infra_support (a unique module name, so
test modules can import its helpers without clashing with other folders' conftest)."""

from infra_support import (  # noqa: F401
    app,
    backend,
    client,
    clock,
    fernet_key,
    redis_url,
    settings,
    store,
    store_url,
)
