"""The error page without a database: a 409 on a page route is an HTML page in the reader's language, the same
refusal on an API route Litestar's JSON (the routes of the app meet 403, 404, 405 and 422 in the integration tests)."""

from __future__ import annotations

from litestar import get
from litestar.testing import create_test_client

from ops.errors import ConflictError
from ops.web.errors import PAGE_ERROR_HANDLERS, page_or_json
from ops.web.render import template_config


@get("/things/1", sync_to_thread=False)
def page_route() -> str:
    raise ConflictError("version 3, now 4")


@get("/api/things/1", sync_to_thread=False)
def api_route() -> str:
    raise ConflictError("version 3, now 4")


def json_answer(_: object, exc: ConflictError) -> object:
    from litestar import Response

    return Response({"status_code": exc.status_code, "detail": exc.message}, status_code=exc.status_code)


def test_a_conflict_on_a_page_is_a_409_page_in_the_readers_language() -> None:
    handlers = {ConflictError: page_or_json(json_answer), **PAGE_ERROR_HANDLERS}  # type: ignore[arg-type]
    with create_test_client(
        [page_route, api_route], template_config=template_config(), exception_handlers=handlers
    ) as client:
        pt = client.get("/things/1", headers={"accept-language": "pt-BR", "referer": "http://testserver.local/x?y=1"})
        assert pt.status_code == 409 and pt.headers["content-type"].startswith("text/html")
        assert "Alterado nesse meio-tempo" in pt.text and "version 3, now 4" in pt.text
        assert 'href="/x?y=1" id="error-back"' in pt.text  # back where the reader came from
        es = client.get("/things/1", headers={"accept-language": "es-AR", "referer": "https://evil.example/"})
        assert "Modificado mientras tanto" in es.text and 'href="/" id="error-back"' in es.text  # never off-site
        api = client.get("/api/things/1", headers={"accept-language": "es-AR"})
        assert (api.status_code, api.json()) == (409, {"status_code": 409, "detail": "version 3, now 4"})
