"""Benchmark: what keeping the local Cognito's state on disk costs per change.

Every call that may change the pool rewrites the whole state file (snapshot, JSON, temp
file, fsync, rename, fsync of the folder). This prints, for pools of growing size:
- the cost of one write (snapshot + save, in process) and the file size;
- the latency of a changing call (AdminUpdateUserAttributes) over the wire, with and
  without a state folder, and of a read-only call (AdminGetUser, never written);
- the time to start from a saved state (restore).

Run: .venv/bin/python tests/benchmarks/local_cognito_state.py [--sizes 10,100,1000]
Not collected by pytest (no test_ prefix). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from local_cognito_bench import PASSWORD, summary, timed


def populate(server: Any, users: int) -> str:
    """``users`` confirmed users, each signed in once (tokens, a device); returns one name."""
    backend, info = server.backend, server.info
    with backend.lock:
        for n in range(users):
            name = f"user{n}@example.com"
            backend.admin_create_user(
                info.user_pool_id,
                name,
                "SUPPRESS",
                PASSWORD,
                [{"Name": "email", "Value": name}, {"Name": "email_verified", "Value": "true"}],
            )
            backend.admin_set_user_password(info.user_pool_id, name, PASSWORD, True)
            pool = backend.user_pools[info.user_pool_id]
            user = pool._get_user(name)
            backend.state(user).totp_secret = "A" * 32
            backend._issue_tokens(pool, pool.clients[info.client_id], user, None)
    return "user0@example.com"


def run(size: int, rounds: int) -> None:
    from local_cognito import LocalCognito

    with tempfile.TemporaryDirectory() as folder:
        server = LocalCognito(state_dir=folder)
        server.start()
        try:
            name = populate(server, size)
            server.persist()
            store = server.state
            assert store is not None
            path = Path(store.path)

            def one_write() -> None:
                with server.backend.lock:
                    server.clock.advance(0.001)  # a change, so the write is not skipped
                server.persist()

            writes = timed(one_write, rounds)
            client, info = server.client(), server.info

            def change() -> None:
                client.admin_update_user_attributes(
                    UserPoolId=info.user_pool_id,
                    Username=name,
                    UserAttributes=[{"Name": "name", "Value": str(time.perf_counter())}],
                )

            def read() -> None:
                client.admin_get_user(UserPoolId=info.user_pool_id, Username=name)

            changing = timed(change, rounds)
            reading = timed(read, rounds)
            size_kib = path.stat().st_size / 1024
        finally:
            server.stop()
        began = time.perf_counter()
        again = LocalCognito(state_dir=folder)
        again.start()
        restore_ms = (time.perf_counter() - began) * 1000
        again.stop()

    with tempfile.TemporaryDirectory():
        plain = LocalCognito()
        plain.start()
        try:
            name = populate(plain, size)
            client, info = plain.client(), plain.info
            plain_changing = timed(
                lambda: client.admin_update_user_attributes(
                    UserPoolId=info.user_pool_id,
                    Username=name,
                    UserAttributes=[{"Name": "name", "Value": str(time.perf_counter())}],
                ),
                rounds,
            )
        finally:
            plain.stop()

    print(f"\n{size} users  (state file {size_kib:,.0f} KiB)")
    print(f"  one write (snapshot+fsync+rename)  {summary(writes)}")
    print(f"  changing call, with state          {summary(changing)}")
    print(f"  changing call, no state            {summary(plain_changing)}")
    print(f"  read-only call, with state         {summary(reading)}")
    print(f"  start from saved state             {restore_ms:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args.rounds)


if __name__ == "__main__":
    main()
