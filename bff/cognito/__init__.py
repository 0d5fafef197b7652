"""Everything that speaks to Cognito: the gateway (every action), SRP math, TOTP helpers."""
