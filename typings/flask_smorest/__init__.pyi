# Type stubs for the part of flask-smorest the BFF uses (flask-smorest ships no types).
# Its decorators return the view they wrap, so the views keep their own signatures.
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import flask
from marshmallow import Schema

_F = TypeVar("_F", bound=Callable[..., Any])
_SchemaArg = type[Schema] | Schema

class Blueprint(flask.Blueprint):
    def __init__(self, *args: Any, description: str = ..., **kwargs: Any) -> None: ...
    def route(
        self, rule: str, *, parameters: Any = ..., tags: Any = ..., **options: Any
    ) -> Callable[[_F], _F]: ...
    ARGUMENTS_PARSER: Any
    def arguments(
        self,
        schema: _SchemaArg,
        *,
        location: str = ...,
        content_type: str | None = ...,
        required: bool = ...,
        description: str | None = ...,
        example: Any = ...,
        examples: Mapping[str, Any] | None = ...,
        **kwargs: Any,
    ) -> Callable[[_F], _F]: ...
    def response(
        self,
        status_code: int,
        schema: _SchemaArg | None = ...,
        *,
        content_type: str | None = ...,
        description: str | None = ...,
        example: Any = ...,
        examples: Mapping[str, Any] | None = ...,
        headers: Mapping[str, Any] | None = ...,
    ) -> Callable[[_F], _F]: ...
    def alt_response(self, status_code: int | str, **kwargs: Any) -> Callable[[_F], _F]: ...
    def doc(self, **kwargs: Any) -> Callable[[_F], _F]: ...

class Api:
    spec: Any
    ma_plugin: Any
    ERROR_SCHEMA: Any
    def __init__(
        self,
        app: flask.Flask | None = ...,
        *,
        spec_kwargs: Mapping[str, Any] | None = ...,
        config_prefix: str = ...,
    ) -> None: ...
    def init_app(
        self, app: flask.Flask, *, spec_kwargs: Mapping[str, Any] | None = ...
    ) -> None: ...
    def register_blueprint(
        self, blp: Blueprint, *, parameters: Any = ..., **options: Any
    ) -> None: ...
    def _register_error_handlers(self) -> None: ...

def __getattr__(name: str) -> Any: ...
