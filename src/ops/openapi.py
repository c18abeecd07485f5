"""The API's OpenAPI document made complete in one place: every operation's error answers (the JSON shape the app
really sends, for the statuses that can occur), the bodies a handler reads itself (`RawBody`, a form), the headers
it needs, and `additionalProperties: false` on the request shapes that refuse unknown fields. Litestar generates
the rest; `CompletingJson` and `CompletingSwagger` finish its document the first time it is served. The same
declarations refuse a body of a media type the operation does not read (`media_type_problem`, a 415)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.routes import HTTPRoute

from ops.idempotency import middleware as idempotency

BODY = "openapi_body"  # a handler's opt: the Body it reads itself
ERRORS = "openapi_errors"  # a handler's opt: {status: why} beyond the ones every operation of its kind has
SUCCESS = "openapi_success"  # a handler's opt: {status: why} of every success it answers, when more than one
MEDIA = "openapi_media"  # a handler's opt: the media types its success answers come in, when more than one
ERROR_SCHEMA = "Error"
_REF = "#/components/schemas/{name}"


@dataclass(frozen=True)
class Header:
    name: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class Body:
    """A body the handler reads itself: each media type it accepts with its schema (a msgspec type, or a JSON schema
    as a dict), and the headers that go with it."""

    content: Mapping[str, Any]
    description: str
    headers: tuple[Header, ...] = field(default=())

    def __deepcopy__(self, memo: dict[int, Any]) -> Body:
        return self  # immutable; Litestar copies a controller's handlers, and msgspec's Meta cannot be copied


def reads(body: Body, **errors: str) -> dict[str, Any]:
    """A handler's `opt` declaring the body it reads itself, and any statuses particular to it (`e404="why"`)."""
    return {BODY: body, **answers(**errors)}


def answers(**errors: str) -> dict[str, Any]:
    """A handler's `opt` declaring statuses particular to it: `answers(e404="no such week")`."""
    return {ERRORS: {int(key.removeprefix("e")): why for key, why in errors.items()}}


def succeeds(**statuses: str) -> dict[str, Any]:
    """A handler's `opt` declaring each success status it answers (`s201="stored now", s200="stored before"`), the
    generated answer's body for each (none for 204)."""
    return {SUCCESS: {int(key.removeprefix("s")): why for key, why in statuses.items()}}


def renders(*media_types: str) -> dict[str, Any]:
    """A handler's `opt` declaring the media types its success answer may come in (a `format` query, a stored
    file's own type); JSON keeps the schema Litestar generated, the others are files."""
    return {MEDIA: media_types}


# The JSON every error answer has: Litestar's own (status_code, detail, extra), the app's refusals naming each field
# (errors), and a 500 / 503 naming its request (request_id).
ERROR_JSON: dict[str, Any] = {
    "type": "object",
    "required": ["status_code", "detail"],
    "properties": {
        "status_code": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "problem"],
                "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
        "extra": {"description": "what Litestar could not read, when it names no field the client sent"},
        "request_id": {"type": "string"},
    },
}

WHY: dict[int, str] = {
    400: (
        "The body is not JSON at all (malformed, not UTF-8, nested too deeply; `errors` names `body`), or the request "
        "itself cannot be read."
    ),
    401: "No token, or a token unknown, expired or revoked.",
    403: "The token's role or contract does not allow this.",
    404: "What the path names does not exist or is not visible to the caller.",
    409: "The state does not allow it, or a concurrent request took the same key first.",
    413: "The body is larger than the server takes (OPS_MAX_BODY_BYTES).",
    415: "The body's Content-Type is not one this operation reads.",
    422: (
        "A value is of the wrong type, missing, unknown, or breaks the input bounds or a business rule; `errors` "
        "names each field as sent (the JSON key, the query parameter)."
    ),
    429: "Too many calls (or bad tokens) from this address in a minute; Retry-After says when to come back.",
    503: "The database or Redis cannot be reached right now; Retry-After says when to try again.",
}
_FILE = {"type": "string", "format": "binary"}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: 1-255 visible ASCII characters, new for each new request. A retry with the same key, "
        "path and body (within 24 h, same token) changes nothing and gets the first 2xx answer again, with "
        f"`{idempotency.REPLAYED}: true`; the key sent with another path or body is a 422; a retry while the first "
        "is still running may be a 409. An error answer is not kept: its retry runs afresh."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


def api_operations(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    """(path as the document writes it, lower-case method, handler) of every operation the document shows."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.resolve_include_in_schema():
                for method in sorted(handler.http_methods):
                    yield route.path_format, method.lower(), handler


def _json_body_type(handler: HTTPRouteHandler) -> Any:
    data = handler.parsed_fn_signature.parameters.get("data")
    return data.annotation if data is not None else None


def accepted_media_types(handler: HTTPRouteHandler) -> frozenset[str] | None:
    """The media types of the bodies the handler reads; None when it reads none."""
    body = handler.opt.get(BODY)
    if isinstance(body, Body):
        return frozenset(body.content)
    return frozenset({"application/json"}) if _json_body_type(handler) is not None else None


def media_type_problem(request: Request[Any, Any, Any]) -> str | None:
    """Why an API request's body cannot be read by its operation (415), else None. A body without a Content-Type
    is read as the operation's first kind (a CRM posting bare JSON keeps working)."""
    if not request.url.path.startswith("/api") or request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    handler = request.scope.get("route_handler")
    if not isinstance(handler, HTTPRouteHandler):
        return None
    accepted = accepted_media_types(handler)
    given = request.headers.get("content-type")
    if accepted is None or not given:
        return None
    media_type = given.split(";", 1)[0].strip().lower()
    if media_type in accepted:
        return None
    return f"Content-Type {media_type or given!r} is not read here (send {', '.join(sorted(accepted))})"


def error_statuses(handler: HTTPRouteHandler, method: str, operation: Mapping[str, Any]) -> dict[int, str]:
    """The error statuses an operation can answer, each with why: what every operation of its kind can meet
    (the database out of reach, a token, a bounded parameter, a body), and what its handler declares."""
    statuses = {503: WHY[503]}
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    if parameters or has_body:
        statuses |= {400: WHY[400], 422: WHY[422]}
    if any(p.get("in") == "path" for p in parameters):
        statuses[404] = WHY[404]
    if has_body:
        statuses |= {413: WHY[413], 415: WHY[415]}
    if method != "get":
        statuses[409] = WHY[409]
    if not handler.opt.get("exclude_from_auth"):
        statuses |= {401: WHY[401], 403: WHY[403], 429: WHY[429]}
    statuses |= handler.opt.get(ERRORS, {})
    return dict(sorted(statuses.items()))


def _schema_of(value: Any, components: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema given as a dict, or a msgspec type's, its structs added to the components."""
    if isinstance(value, dict):
        return value
    (schema,), found = msgspec.json.schema_components([value], ref_template=_REF)
    for name, component in found.items():
        if components.setdefault(name, component) != component:
            raise ValueError(f"two different schemas named {name} in the OpenAPI document")
    return schema


def _structs(annotation: Any) -> Iterator[type[msgspec.Struct]]:
    """Every msgspec struct a type holds, nested ones included."""
    seen: set[Any] = set()
    todo = [msgspec.inspect.type_info(annotation)]
    while todo:
        info = todo.pop()
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in seen:
                continue
            seen.add(info.cls)
            yield info.cls
            todo.extend(f.type for f in info.fields)
        for name in ("item_type", "key_type", "value_type"):
            if (inner := getattr(info, name, None)) is not None:
                todo.append(inner)
        for name in ("types", "item_types"):
            todo.extend(getattr(info, name, ()))


def complete(document: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """The document Litestar generated, made complete (in place: every renderer serves the same one)."""
    components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA] = ERROR_JSON
    strict: set[str] = set()
    for path, method, handler in api_operations(app):
        operation = document["paths"][path][method]
        body = handler.opt.get(BODY)
        if isinstance(body, Body):
            operation["requestBody"] = {
                "required": True,
                "description": body.description,
                "content": {mt: {"schema": _schema_of(s, components)} for mt, s in body.content.items()},
            }
            operation.setdefault("parameters", []).extend(
                {"name": h.name, "in": "header", "required": h.required, "description": h.description,
                 "schema": {"type": "string"}}
                for h in body.headers
            )  # fmt: skip
        elif (data := _json_body_type(handler)) is not None:
            strict |= {s.__name__ for s in _structs(data) if s.__struct_config__.forbid_unknown_fields}
        if method == "post" and idempotency.honours(handler, path):
            operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
        responses = operation.setdefault("responses", {})
        if successes := handler.opt.get(SUCCESS):
            generated = next(answer for status, answer in responses.items() if status.startswith("2"))
            for status in [s for s in responses if s.startswith("2")]:
                del responses[status]
            for code, why in successes.items():
                shape = {k: v for k, v in generated.items() if code != 204 or k != "content"}
                responses[str(code)] = {**shape, "description": why}
        if media := handler.opt.get(MEDIA):
            for status, success in responses.items():
                if status.startswith("2"):
                    given = success.get("content", {}).get("application/json")
                    success["content"] = {
                        kind: (given if kind == "application/json" and given else {"schema": _FILE}) for kind in media
                    }
        for status, why in error_statuses(handler, method, operation).items():
            answer: dict[str, Any] = {
                "description": f"{HTTPStatus(status).phrase}: {why}",
                "content": {"application/json": {"schema": {"$ref": _REF.format(name=ERROR_SCHEMA)}}},
            }
            if status in (429, 503):
                answer["headers"] = RETRY_AFTER
            responses[str(status)] = answer
    for name in strict:
        # Litestar names a struct's component after its class; msgspec refuses the struct's unknown fields (422).
        components[name]["additionalProperties"] = False
    return document


class CompletingJson(JsonRenderPlugin):
    """The JSON document, completed."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, completed(request.app, openapi_schema))


class CompletingSwagger(SwaggerRenderPlugin):
    """Swagger UI over the completed document."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, completed(request.app, openapi_schema))


def completed(app: Litestar, document: dict[str, Any]) -> dict[str, Any]:
    """The document completed once (Litestar keeps one per app; whichever renderer is asked first completes it)."""
    if ERROR_SCHEMA not in document.get("components", {}).get("schemas", {}):
        complete(document, app)
    return document
