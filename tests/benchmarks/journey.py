"""Benchmark: a whole journey through the BFF over HTTP vs the same Cognito calls with boto3.

Run: .venv/bin/python tests/benchmarks/journey.py [--rounds N] [--cognito-delay-ms MS]
(or every benchmark at once: .venv/bin/python tests/benchmarks/run_all.py)

Processes: the local Cognito (`bff local-cognito`), the BFF (`bff serve` pointed at it,
SQLite store, rate limits on with room for the run), a bare forwarder, and this client.
The journey: sign up, confirm with the emailed code, sign in (MFA_SETUP), register the
authenticator (verify and answer MFA_SETUP), remember the device, sign out, sign in again
with the remembered device (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER): 7 HTTP requests.
Three paths alternate round by round, and the medians and ratios come from the same run:

* through the BFF over HTTP;
* "direct": the same Cognito calls with boto3 from this process, computing the same TOTP
  codes and SRP answers (bff.cognito.srp), as an SPA calling Cognito itself would;
* the floor: a bare Flask forwarder on bff serve's HTTP server whose 7 routes make the
  direct path's calls (DirectSteps) and nothing else. forwarder / direct is what the extra
  HTTP hop alone costs; BFF - forwarder is the BFF's own work (sessions, CSRF, validation,
  rate limits, the journal, the store, metrics, logs).

Wall time suffers from whatever else the machine runs (the HTTP paths have one more
process to schedule), so the CPU seconds all processes spent per journey (from /proc) are
printed too. ``--cognito-delay-ms`` puts a loopback proxy that holds every Cognito answer
back that long in front of the local Cognito, for every path: how the ratio moves when
Cognito is not a process on the same machine answering in a couple of milliseconds.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from bff.cognito import srp  # noqa: E402
from bff.cognito.totp import current_code  # noqa: E402
from bff.local_outbox import OutboxReader  # noqa: E402
from tests.support.faults import FaultProxy  # noqa: E402
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
#: HTTP requests per journey (the "BFF's own work per step" divides by it).
STEPS = 7


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


class DirectSteps:
    """The journey's Cognito calls with boto3, step by step, as an SPA calling Cognito itself
    makes them (with the same TOTP and SRP computations); what a step learns is kept here
    for the next. Used in this process (direct_journey) and behind the forwarder."""

    def __init__(self, client: Any, client_id: str, email: str) -> None:
        self.client, self.client_id, self.email = client, client_id, email
        self.auth = {"USERNAME": email, "PASSWORD": PASSWORD}
        self.session = ""
        self.result: dict[str, Any] = {}
        self.device: dict[str, str] = {}
        self.verifier: Any = None

    def sign_up(self) -> None:
        self.client.sign_up(
            ClientId=self.client_id,
            Username=self.email,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": self.email}],
        )

    def confirm(self, code: str) -> None:
        self.client.confirm_sign_up(
            ClientId=self.client_id, Username=self.email, ConfirmationCode=code
        )

    def sign_in(self) -> str:
        """InitiateAuth (MFA_SETUP), then AssociateSoftwareToken: the secret to show."""
        step = self.client.initiate_auth(
            ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=self.auth
        )
        assert step["ChallengeName"] == "MFA_SETUP"
        association = self.client.associate_software_token(Session=step["Session"])
        self.session = association["Session"]
        return str(association["SecretCode"])

    def mfa_setup(self, code: str) -> None:
        """VerifySoftwareToken, answer MFA_SETUP, ConfirmDevice the device it issued."""
        verified = self.client.verify_software_token(
            Session=self.session, UserCode=code, FriendlyDeviceName="Bench"
        )
        self.result = self.client.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName="MFA_SETUP",
            ChallengeResponses={"USERNAME": self.email},
            Session=verified["Session"],
        )["AuthenticationResult"]
        self.device = self.result["NewDeviceMetadata"]
        self.verifier = srp.generate_device_verifier(
            self.device["DeviceGroupKey"], self.device["DeviceKey"]
        )
        self.client.confirm_device(
            AccessToken=self.result["AccessToken"],
            DeviceKey=self.device["DeviceKey"],
            DeviceSecretVerifierConfig=self.verifier.verifier_config(),
            DeviceName="Bench",
        )

    def remember(self) -> None:
        self.client.update_device_status(
            AccessToken=self.result["AccessToken"],
            DeviceKey=self.device["DeviceKey"],
            DeviceRememberedStatus="remembered",
        )

    def sign_out(self) -> None:
        """RevokeToken, as the BFF's sign-out and Amplify's (non-global) signOut do: it ends
        the refresh token and the access tokens issued from it."""
        self.client.revoke_token(Token=self.result["RefreshToken"], ClientId=self.client_id)

    def sign_in_with_device(self) -> None:
        """InitiateAuth with DEVICE_KEY, DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER."""
        device_key = self.device["DeviceKey"]
        step = self.client.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={**self.auth, "DEVICE_KEY": device_key},
        )
        assert step["ChallengeName"] == "DEVICE_SRP_AUTH", step
        ephemeral = srp.SrpEphemeral.generate()
        challenge = self.client.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            ChallengeResponses={
                "USERNAME": self.email,
                "DEVICE_KEY": device_key,
                "SRP_A": ephemeral.srp_a,
            },
            Session=step["Session"],
        )
        claim = srp.device_password_verifier_responses(
            ephemeral,
            device_group_key=self.device["DeviceGroupKey"],
            device_key=device_key,
            device_password=self.verifier.device_password,
            challenge_parameters=challenge["ChallengeParameters"],
        )
        claim.setdefault("USERNAME", self.email)
        done = self.client.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            ChallengeResponses=claim,
            Session=challenge.get("Session"),
        )
        assert "AuthenticationResult" in done


def direct_journey(client: Any, client_id: str, pool_id: str, outbox: OutboxReader) -> None:
    steps = DirectSteps(client, client_id, f"bench-{secrets.token_hex(6)}@example.com")
    steps.sign_up()
    steps.confirm(outbox.latest_code(steps.email))
    secret = steps.sign_in()
    steps.mfa_setup(current_code(secret))
    steps.remember()
    steps.sign_out()
    steps.sign_in_with_device()


FORWARDER_STEPS = ("sign_up", "confirm", "sign_in", "mfa_setup", "remember", "sign_out")


def forwarder_app(client: Any, client_id: str) -> Any:
    """A Flask app with nothing but the HTTP hop: each POST /step/<name> runs that step's
    Cognito calls (DirectSteps) for the journey its body names, keeping the steps' state in
    memory. No sessions, cookies, CSRF, validation, rate limits, journal, store or metrics:
    what is left of the BFF's time once all of those are gone."""
    from flask import Flask, jsonify, request

    app = Flask("forwarder")
    journeys: dict[str, DirectSteps] = {}

    @app.post("/step/<name>")
    def step(name: str) -> Any:
        body = request.get_json()
        journey_id = body.pop("journey")
        if name == "sign_up":
            journeys[journey_id] = DirectSteps(client, client_id, body["email"])
        steps = journeys[journey_id]
        if name == "sign_in_with_device":
            steps.sign_in_with_device()
            del journeys[journey_id]
            return jsonify(state="AUTHENTICATED")
        answer = getattr(steps, name)(**{k: v for k, v in body.items() if k != "email"})
        return jsonify(state="ok", secret=answer)

    return app


def forwarder_journey(base_url: str, outbox: OutboxReader) -> None:
    """The journey through the forwarder: the same 7 requests as through the BFF."""
    email = f"bench-{secrets.token_hex(6)}@example.com"
    journey_id = secrets.token_hex(8)
    spa = Browser(base_url)
    try:

        def step(name: str, **body: Any) -> dict[str, Any]:
            return spa.post(f"/step/{name}", {"journey": journey_id, **body})

        step("sign_up", email=email)
        step("confirm", code=outbox.latest_code(email))
        secret = step("sign_in")["secret"]
        step("mfa_setup", code=current_code(secret))
        step("remember")
        step("sign_out")
        step("sign_in_with_device")
    finally:
        spa.close()


@contextmanager
def forwarder_process(cognito: CognitoProcess) -> Iterator[tuple[str, int]]:
    """The forwarder in its own process on bff serve's HTTP server (werkzeug, threaded,
    bff_tools.serve.make_bff_server); yields its base URL and process id."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-forwarder", json.dumps(cognito.environment())],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("http://"):
            raise RuntimeError(f"the forwarder did not start: {line!r}")
        yield line.strip(), process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def serve_forwarder(environment: dict[str, str]) -> None:
    import boto3

    from bff_tools.serve import make_bff_server

    client = boto3.client(
        "cognito-idp",
        endpoint_url=environment["COGNITO_ENDPOINT_URL"],
        region_name=environment["AWS_REGION"],
    )
    server = make_bff_server(
        "127.0.0.1", 0, forwarder_app(client, environment["COGNITO_CLIENT_ID"])
    )
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


def measure(rounds: int = 10, echo: Any = print, cognito_delay_ms: float = 0) -> dict[str, float]:
    import boto3

    with tempfile.TemporaryDirectory(prefix="bench-journey-") as folder, ExitStack() as stack:
        workdir = Path(folder)
        with local_cognito_process(workdir) as local:
            cognito = local
            if cognito_delay_ms:
                # Every path reaches Cognito through the same loopback proxy that holds each
                # answer back: a stand-in for the network and Cognito's own time.
                proxy = FaultProxy(local.endpoint_url)
                stack.callback(proxy.close)
                proxy.delay = cognito_delay_ms / 1000
                cognito = dataclasses.replace(local, endpoint_url=proxy.url)
                echo(f"each Cognito answer held back {cognito_delay_ms:g} ms")
            env = serve_env(cognito, workdir)
            with bff_serve(workdir, env) as urls, forwarder_process(cognito) as forwarder:
                base_url = urls["BFF"].removesuffix("/api")
                forwarder_url, forwarder_pid = forwarder
                outbox = OutboxReader(local.endpoint_url)
                client = boto3.client(
                    "cognito-idp", endpoint_url=cognito.endpoint_url, region_name=cognito.region
                )
                serve_pid = [p for p in children_named("bff") if p != cognito.pid][0]
                paths: dict[str, tuple[Callable[[], None], int | None]] = {
                    "bff": (lambda: bff_journey(base_url, outbox), serve_pid),
                    "forwarder": (lambda: forwarder_journey(forwarder_url, outbox), forwarder_pid),
                    "direct": (
                        lambda: direct_journey(
                            client, cognito.client_id, cognito.user_pool_id, outbox
                        ),
                        None,
                    ),
                }
                walls: dict[str, list[float]] = {name: [] for name in paths}
                cpus = dict.fromkeys(paths, 0.0)
                for run, _pid in paths.values():
                    run()  # warm every path (connections, imports)
                for _ in range(rounds):  # the three alternate, round by round
                    for name, (run, server_pid) in paths.items():

                        def cpu(pid: int | None = server_pid) -> float:
                            own = time.process_time() + cpu_seconds(cognito.pid)
                            return own + (cpu_seconds(pid) if pid else 0.0)

                        began, cpu_began = time.perf_counter(), cpu()
                        run()
                        walls[name].append(time.perf_counter() - began)
                        cpus[name] += cpu() - cpu_began
    ms = {name: statistics.median(values) * 1000 for name, values in walls.items()}
    cpu_ms = {name: total / rounds * 1000 for name, total in cpus.items()}
    echo(f"journey through the BFF over HTTP:    median {ms['bff']:6.1f} ms ({rounds} rounds)")
    echo(f"through a bare forwarder over HTTP:   median {ms['forwarder']:6.1f} ms")
    echo(f"same Cognito calls with boto3:        median {ms['direct']:6.1f} ms")
    echo(f"ratio {ms['bff'] / ms['direct']:.2f}x (goal <= {GOAL}x)")
    echo(
        f"floor: the HTTP hop alone (forwarder / boto3) {ms['forwarder'] / ms['direct']:.2f}x; "
        f"the BFF's own work {(ms['bff'] - ms['forwarder']) / STEPS:.1f} ms per step"
    )
    echo(
        "CPU of client + server + local Cognito per journey: "
        f"{cpu_ms['bff']:.0f} ms through the BFF, {cpu_ms['forwarder']:.0f} ms through the "
        f"forwarder, {cpu_ms['direct']:.0f} ms direct, "
        f"ratio {cpu_ms['bff'] / cpu_ms['direct']:.2f}x"
    )
    return {
        "bff_ms": ms["bff"],
        "forwarder_ms": ms["forwarder"],
        "direct_ms": ms["direct"],
        "ratio": ms["bff"] / ms["direct"],
        "floor_ratio": ms["forwarder"] / ms["direct"],
        "bff_cpu_ms": cpu_ms["bff"],
        "forwarder_cpu_ms": cpu_ms["forwarder"],
        "direct_cpu_ms": cpu_ms["direct"],
        "cpu_ratio": cpu_ms["bff"] / cpu_ms["direct"],
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
    parser.add_argument(
        "--cognito-delay-ms",
        type=float,
        default=0,
        help="hold every Cognito answer back this long (a loopback proxy), for every path",
    )
    parser.add_argument("--serve-forwarder", metavar="COGNITO_ENV_JSON", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_forwarder:
        serve_forwarder(json.loads(arguments.serve_forwarder))
    else:
        measure(arguments.rounds, cognito_delay_ms=arguments.cognito_delay_ms)
