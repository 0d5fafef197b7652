"""Passwords test users sign up with; each meets the local pool's password policy."""

PASSWORD = "Corr3ct-Horse!"
NEW_PASSWORD = "N3w-Battery-Staple!"
