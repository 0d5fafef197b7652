"""The local Cognito: moto's Cognito plus the project's fidelity layer, on loopback.

``LocalCognito(...).start()`` serves a user pool provisioned from ``user-pool.yaml`` (the
CloudFormation template real deployments use) and returns a ``LocalCognitoInfo``.
See docs/local-cognito.md for what it reproduces and what it does not.
"""

from .server import LocalCognito, LocalCognitoInfo, make_boto3_client

__all__ = ["LocalCognito", "LocalCognitoInfo", "make_boto3_client"]
