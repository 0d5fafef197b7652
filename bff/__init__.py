"""cognito-bff: a Flask backend-for-frontend for Amazon Cognito sign-up and sign-in."""
