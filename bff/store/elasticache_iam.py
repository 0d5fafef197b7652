"""IAM authentication to Amazon ElastiCache (Valkey, Redis OSS 7+): a short-lived token,
signed with the BFF's AWS credentials, as the password of every new connection.

The token is a SigV4-presigned ``connect`` request for the cache and the ElastiCache user,
without its scheme, as AWS's documentation builds it
(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html): valid 15 minutes
for opening connections (an open connection stays authenticated up to 12 hours). Each
connection redis-py opens asks ``get_credentials``; a token is reused for 10 minutes, then
signed anew. The credentials come from botocore's usual chain (environment, the web identity
of an EKS pod, the instance or task role...).
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import botocore.session
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from redis.credentials import CredentialProvider

#: AWS accepts a token for 15 minutes; a new one is signed well before that.
TOKEN_SECONDS = 900
REUSE_SECONDS = 600


class ElastiCacheIamAuth(CredentialProvider):
    """(user, token) for redis-py's ``credential_provider``: ``user`` is the ElastiCache
    user id (authentication mode IAM), ``cache`` the replication group id or the serverless
    cache's name."""

    def __init__(self, user: str, cache: str, region: str, *, serverless: bool) -> None:
        self.user = user
        self.cache = cache
        self.region = region
        self.serverless = serverless
        self._session = botocore.session.get_session()
        self._lock = threading.Lock()
        self._token = ""
        self._signed_at = 0.0

    def token(self) -> str:
        """A presigned ``connect`` request for the cache and the user, without ``https://``."""
        credentials = self._session.get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials for ElastiCache IAM authentication")
        query = {"Action": "connect", "User": self.user}
        if self.serverless:
            query["ResourceType"] = "ServerlessCache"
        request = AWSRequest(method="GET", url=f"https://{self.cache}/?{urlencode(query)}")
        SigV4QueryAuth(credentials, "elasticache", self.region, expires=TOKEN_SECONDS).add_auth(
            request
        )
        return str(request.url).removeprefix("https://")

    def get_credentials(self) -> tuple[str, str]:
        with self._lock:
            if not self._token or time.monotonic() - self._signed_at > REUSE_SECONDS:
                self._token = self.token()
                self._signed_at = time.monotonic()
            return self.user, self._token
