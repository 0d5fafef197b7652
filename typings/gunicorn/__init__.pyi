# Type stubs for the parts of gunicorn the BFF's worker class uses (bff.gunicorn_worker);
# gunicorn ships no types.
