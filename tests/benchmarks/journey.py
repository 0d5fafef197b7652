"""Benchmark: a whole journey through the BFF over HTTP vs the same Cognito calls with boto3.

Run: .venv/bin/python tests/benchmarks/journey.py [--rounds N]
(or every benchmark at once: .venv/bin/python tests/benchmarks/run_all.py)

Three processes: the local Cognito (`bff local-cognito`), the BFF (`bff serve` pointed at
it, SQLite store, rate limits on with room for the run) and this client. The journey: sign
up, confirm with the emailed code, sign in (MFA_SETUP), register the authenticator (verify
and answer MFA_SETUP), remember the device, sign out, sign in again with the remembered
device (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER). "Direct" makes the same Cognito calls
with boto3 against the same local Cognito, computing the same TOTP codes and SRP answers
(bff.cognito.srp), as an SPA calling Cognito itself would. The two alternate round by
round; the medians and their ratio come from the same run. Wall time suffers from whatever
else the machine runs (the BFF path has one more process to schedule), so the CPU seconds
all three processes spent per journey (from /proc) are printed too: that ratio is the work
the BFF adds, whatever the load. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from bff.cognito import srp  # noqa: E402
from bff.cognito.totp import current_code  # noqa: E402
from bff.local_outbox import OutboxReader  # noqa: E402
from tests.support.production import (  # noqa: E402
    CognitoProcess,
    bff_environment,
    children_named,
    cpu_seconds,
    local_cognito_process,
)
from tests.support.serve import bff_serve  # noqa: E402

PASSWORD = "Bench-Passw0rd!"
GOAL = 1.3


class Browser:
    """An SPA: one keep-alive connection to the BFF, its cookies, JSON and X-CSRF."""

    def __init__(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self.cookies: dict[str, str] = {}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "X-CSRF": "1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection.request("POST", path, json.dumps(body), headers)
        response = self.connection.getresponse()
        raw = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "Max-Age=0" in value or not cookie_value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie_value
        answer = json.loads(raw)
        if response.status != 200:
            raise RuntimeError(f"POST {path}: {response.status} {answer}")
        return answer  # type: ignore[no-any-return]

    def close(self) -> None:
        self.connection.close()


def bff_journey(base_url: str, outbox: OutboxReader) -> None:
    email = f"bench-{secrets.token_hex(6)}@example.com"
    spa = Browser(base_url)
    try:
        spa.post("/api/sign-up", {"email": email, "password": PASSWORD})
        spa.post("/api/sign-up/confirm", {"code": outbox.latest_code(email)})
        flow = spa.post(
            "/api/sign-in", {"username": email, "password": PASSWORD, "device_name": "Bench"}
        )["flow"]
        assert flow["state"] == "MFA_SETUP", flow
        code = current_code(flow["data"]["secret"])
        flow = spa.post("/api/sign-in/mfa-setup", {"code": code})["flow"]
        assert flow["state"] == "AUTHENTICATED", flow
        spa.post("/api/sign-in/remember-device", {"remember": True})
        spa.post("/api/sign-out", {})
        flow = spa.post("/api/sign-in", {"username": email, "password": PASSWORD})["flow"]
        assert flow["state"] == "AUTHENTICATED", flow
    finally:
        spa.close()


def direct_journey(client: Any, client_id: str, pool_id: str, outbox: OutboxReader) -> None:
    email = f"bench-{secrets.token_hex(6)}@example.com"
    client.sign_up(
        ClientId=client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    code = outbox.latest_code(email)
    client.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    auth = {"USERNAME": email, "PASSWORD": PASSWORD}
    step = client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth
    )
    assert step["ChallengeName"] == "MFA_SETUP"
    association = client.associate_software_token(Session=step["Session"])
    verified = client.verify_software_token(
        Session=association["Session"],
        UserCode=current_code(association["SecretCode"]),
        FriendlyDeviceName="Bench",
    )
    result = client.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        ChallengeResponses={"USERNAME": email},
        Session=verified["Session"],
    )["AuthenticationResult"]
    access, device = result["AccessToken"], result["NewDeviceMetadata"]
    verifier = srp.generate_device_verifier(device["DeviceGroupKey"], device["DeviceKey"])
    client.confirm_device(
        AccessToken=access,
        DeviceKey=device["DeviceKey"],
        DeviceSecretVerifierConfig=verifier.verifier_config(),
        DeviceName="Bench",
    )
    client.update_device_status(
        AccessToken=access, DeviceKey=device["DeviceKey"], DeviceRememberedStatus="remembered"
    )
    client.global_sign_out(AccessToken=access)
    client.revoke_token(Token=result["RefreshToken"], ClientId=client_id)
    step = client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={**auth, "DEVICE_KEY": device["DeviceKey"]},
    )
    assert step["ChallengeName"] == "DEVICE_SRP_AUTH", step
    ephemeral = srp.SrpEphemeral.generate()
    challenge = client.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        ChallengeResponses={
            "USERNAME": email,
            "DEVICE_KEY": device["DeviceKey"],
            "SRP_A": ephemeral.srp_a,
        },
        Session=step["Session"],
    )
    claim = srp.device_password_verifier_responses(
        ephemeral,
        device_group_key=device["DeviceGroupKey"],
        device_key=device["DeviceKey"],
        device_password=verifier.device_password,
        challenge_parameters=challenge["ChallengeParameters"],
    )
    claim.setdefault("USERNAME", email)
    done = client.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        ChallengeResponses=claim,
        Session=challenge.get("Session"),
    )
    assert "AuthenticationResult" in done


def measure(rounds: int = 10, echo: Any = print) -> dict[str, float]:
    import boto3

    with tempfile.TemporaryDirectory(prefix="bench-journey-") as folder:
        workdir = Path(folder)
        with local_cognito_process(workdir) as cognito:
            env = serve_env(cognito, workdir)
            with bff_serve(workdir, env) as urls:
                base_url = urls["BFF"].removesuffix("/api")
                outbox = OutboxReader(cognito.endpoint_url)
                client = boto3.client(
                    "cognito-idp", endpoint_url=cognito.endpoint_url, region_name=cognito.region
                )
                serve_pid = [p for p in children_named("bff") if p != cognito.pid][0]

                def cpu() -> float:
                    return time.process_time() + cpu_seconds(cognito.pid) + cpu_seconds(serve_pid)

                bff_journey(base_url, outbox)  # warm both paths (connections, imports)
                direct_journey(client, cognito.client_id, cognito.user_pool_id, outbox)
                through_bff, direct, bff_cpu, direct_cpu = [], [], 0.0, 0.0
                for _ in range(rounds):
                    began, cpu_began = time.perf_counter(), cpu()
                    bff_journey(base_url, outbox)
                    through_bff.append(time.perf_counter() - began)
                    bff_cpu += cpu() - cpu_began
                    began, cpu_began = time.perf_counter(), cpu()
                    direct_journey(client, cognito.client_id, cognito.user_pool_id, outbox)
                    direct.append(time.perf_counter() - began)
                    direct_cpu += cpu() - cpu_began
    bff_ms = statistics.median(through_bff) * 1000
    direct_ms = statistics.median(direct) * 1000
    echo(f"journey through the BFF over HTTP: median {bff_ms:6.1f} ms ({rounds} rounds)")
    echo(f"same Cognito calls with boto3:     median {direct_ms:6.1f} ms")
    echo(f"ratio {bff_ms / direct_ms:.2f}x (goal <= {GOAL}x)")
    bff_cpu_ms, direct_cpu_ms = bff_cpu / rounds * 1000, direct_cpu / rounds * 1000
    echo(
        f"CPU of client + BFF + local Cognito per journey: {bff_cpu_ms:.0f} ms through the BFF, "
        f"{direct_cpu_ms:.0f} ms direct, ratio {bff_cpu_ms / direct_cpu_ms:.2f}x"
    )
    return {
        "bff_ms": bff_ms,
        "direct_ms": direct_ms,
        "ratio": bff_ms / direct_ms,
        "bff_cpu_ms": bff_cpu_ms,
        "direct_cpu_ms": direct_cpu_ms,
        "cpu_ratio": bff_cpu_ms / direct_cpu_ms,
    }


def serve_env(cognito: CognitoProcess, workdir: Path) -> dict[str, str]:
    return bff_environment(
        cognito,
        workdir,
        BFF_STORE_URL=f"sqlite:///{workdir}/bff.sqlite3",
        BFF_RATELIMIT_SIGN_IN="100000 per minute",
        BFF_RATELIMIT_SIGN_UP="100000 per minute",
        BFF_RATELIMIT_MFA="100000 per minute",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    measure(parser.parse_args().rounds)
