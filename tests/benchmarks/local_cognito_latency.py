"""Benchmark: local Cognito start-up time and per-call latency, against plain moto server.

Run: .venv/bin/python tests/benchmarks/local_cognito_latency.py [--rounds N]
Not collected by pytest (no test_ prefix). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any

from local_cognito_bench import PASSWORD, summary, timed


def measure_start() -> tuple[float, Any]:
    began = time.perf_counter()
    from local_cognito import LocalCognito

    server = LocalCognito()
    server.start()
    import urllib.request

    with urllib.request.urlopen(server.info.endpoint_url + "/_local/health") as response:
        response.read()
    return time.perf_counter() - began, server


def local_calls(server: Any, rounds: int) -> dict[str, list[float]]:
    import pyotp
    from pycognito.aws_srp import AWSSRP, generate_hash_device

    info, client = server.info, server.client()
    email = lambda: f"bench-{uuid.uuid4().hex[:10]}@example.com"  # noqa: E731
    results: dict[str, list[float]] = {}

    def sign_up() -> None:
        client.sign_up(
            ClientId=info.client_id,
            Username=email(),
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "x@example.com"}],
        )

    results["SignUp"] = timed(sign_up, rounds)

    user = email()
    client.sign_up(
        ClientId=info.client_id,
        Username=user,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": user}],
    )
    code = server.outbox.messages(to=user)[-1].code
    client.confirm_sign_up(ClientId=info.client_id, Username=user, ConfirmationCode=code)

    def admin_initiate() -> Any:
        return client.admin_initiate_auth(
            UserPoolId=info.user_pool_id,
            ClientId=info.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        )

    results["AdminInitiateAuth"] = timed(admin_initiate, rounds)

    step = admin_initiate()
    association = client.associate_software_token(Session=step["Session"])
    verified = client.verify_software_token(
        Session=association["Session"], UserCode=pyotp.TOTP(association["SecretCode"]).now()
    )
    tokens = client.admin_respond_to_auth_challenge(
        UserPoolId=info.user_pool_id,
        ClientId=info.client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": user},
    )["AuthenticationResult"]

    def srp_round() -> None:
        srp = AWSSRP(
            username=user,
            password=PASSWORD,
            pool_id=info.user_pool_id,
            client_id=info.client_id,
            client=client,
        )
        params = srp.get_auth_params()
        challenge = client.initiate_auth(
            ClientId=info.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params
        )
        answer = srp.process_challenge(challenge["ChallengeParameters"], params)
        reply = client.respond_to_auth_challenge(
            ClientId=info.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
        )
        assert reply["ChallengeName"] == "SOFTWARE_TOKEN_MFA"

    results["USER_SRP_AUTH round (2 calls + client math)"] = timed(srp_round, rounds)

    metadata = tokens["NewDeviceMetadata"]
    device_password, config = generate_hash_device(
        metadata["DeviceGroupKey"], metadata["DeviceKey"]
    )
    client.confirm_device(
        AccessToken=tokens["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig=config,
        DeviceName="bench",
    )
    client.update_device_status(
        AccessToken=tokens["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceRememberedStatus="remembered",
    )

    def device_sign_in() -> None:
        srp = AWSSRP(
            username=user,
            password=PASSWORD,
            pool_id=info.user_pool_id,
            client_id=info.client_id,
            client=client,
            device_key=metadata["DeviceKey"],
            device_group_key=metadata["DeviceGroupKey"],
            device_password=device_password,
        )
        assert "AccessToken" in srp.authenticate_user()["AuthenticationResult"]

    results["device sign-in (4 calls + client math)"] = timed(device_sign_in, rounds)
    return results


def moto_calls(rounds: int) -> dict[str, list[float]]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.client(
            "cognito-idp", region_name="eu-west-1", endpoint_url=f"http://{host}:{port}"
        )
        pool = client.create_user_pool(PoolName="bench")["UserPool"]["Id"]
        client_id = client.create_user_pool_client(UserPoolId=pool, ClientName="bench")[
            "UserPoolClient"
        ]["ClientId"]
        results: dict[str, list[float]] = {}

        def sign_up() -> None:
            client.sign_up(
                ClientId=client_id, Username=f"b-{uuid.uuid4().hex[:10]}", Password=PASSWORD
            )

        results["SignUp"] = timed(sign_up, rounds)
        client.sign_up(ClientId=client_id, Username="user", Password=PASSWORD)
        client.admin_confirm_sign_up(UserPoolId=pool, Username="user")
        results["AdminInitiateAuth"] = timed(
            lambda: client.admin_initiate_auth(
                UserPoolId=pool,
                ClientId=client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "user", "PASSWORD": PASSWORD},
            ),
            rounds,
        )
        return results
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    ready, server = measure_start()
    print(
        f"time to ready (import + bind + provision + first answer): {ready * 1000:.0f} ms "
        f"(budget 1500 ms; start() alone {server.started_in * 1000:.0f} ms)"
    )
    try:
        local = local_calls(server, args.rounds)
    finally:
        server.stop()
    moto = moto_calls(args.rounds)
    print(f"\nper-call latency over {args.rounds} rounds (boto3 over loopback HTTP):")
    for name, samples in local.items():
        line = f"  local Cognito {name:<45} {summary(samples)}"
        if name in moto:
            ratio = statistics.median(samples) / statistics.median(moto[name])
            line += f"   plain moto {summary(moto[name])}   ratio x{ratio:.2f}"
        print(line)


if __name__ == "__main__":
    main()
