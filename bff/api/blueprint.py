"""The API's blueprint class: flask-smorest's, with an argument parser that reads the body
``bff.body`` already parsed (with its limits) instead of decoding the raw bytes again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

_F = TypeVar("_F", bound=Callable[..., Any])


class BffParser(FlaskParser):
    """webargs' Flask parser; JSON comes from ``request.get_json()``, which returns what
    ``bff.body.parse_request_body`` cached (it refused anything outside its limits)."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req) or not req.get_data(cache=True):
            return core.missing
        return req.get_json(cache=True)


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: documented by flask-smorest, parsed by ``BffParser``.

    A JSON body is documented as required exactly when its schema has a required field: a
    schema whose fields are all optional (``{}`` for sign-out, refresh...) accepts a request
    with no body, so the OpenAPI document says the body is optional.
    """

    ARGUMENTS_PARSER = BffParser()

    def arguments(
        self, schema: Any, *, location: str = "json", required: bool | None = None, **kwargs: Any
    ) -> Callable[[_F], _F]:
        # One schema instance per view: given a class, webargs would build a new instance
        # (deep-copying its fields) for every request. Loading is thread-safe.
        instance = schema() if isinstance(schema, type) else schema
        if required is None:
            required = location != "json" or any(f.required for f in instance.fields.values())
        return super().arguments(instance, location=location, required=required, **kwargs)
