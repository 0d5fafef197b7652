"""The local Cognito: moto's Cognito plus the project's fidelity layer, on loopback.

``LocalCognito(...).start()`` serves a user pool provisioned from ``user-pool.yaml`` (the
CloudFormation template real deployments use) and returns a ``LocalCognitoInfo``. This is
the only package that imports moto; install it with ``pip install -e '.[local]'``.
See docs/local-cognito.md for what it reproduces and what it does not.
"""

from .server import DEFAULT_PORT, LocalCognito, LocalCognitoInfo, make_boto3_client

__all__ = ["DEFAULT_PORT", "LocalCognito", "LocalCognitoInfo", "make_boto3_client"]
