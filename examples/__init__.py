"""Example programs that show the BFF in use: each runs in its own process, outside ``bff``."""
