"""The Cognito sign-in lifecycle as a ``transitions`` state machine (pure Python: no Flask, boto3 or moto)."""
