"""The local stack's HTTP side: the subscriptions API as API Gateway serves it, and the demo site.

The API turns each request into an HTTP API payload 2.0 event for the subscribe
handler and writes its answer back; CORS preflights are answered from the
template's ``CorsConfiguration``, as API Gateway does. The site serves ``web/``
and renders the demo article page from ``web/article.html``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from stoppress_dev import lambda_events
from stoppress_dev.lambda_events import HandlerError
from stoppress_dev.template import PROJECT_ROOT

WEB_ROOT = PROJECT_ROOT / "web"
SAMPLES = PROJECT_ROOT / "samplecontent"
DEMO_ARTICLE_ID = "nato-resumes-contacts"


class HttpFront:
    """Both servers on loopback, in one background thread with its own event loop."""

    def __init__(
        self,
        *,
        api_port: int,
        web_port: int,
        routes: list[tuple[str, str]],
        cors: Mapping[str, Any] | None,
        invoke: Callable[[Mapping[str, Any]], Any],
        site_origin: Callable[[], str | None],
        stored_article: Callable[[str], dict[str, Any] | None],
        on_error: Callable[[str], None],
    ) -> None:
        self.api_port = api_port
        self.web_port = web_port
        self.api_url = ""
        self.web_url = ""
        self._routes = routes
        self._cors = cors
        self._invoke = invoke
        self._site_origin = site_origin
        self._stored_article = stored_article
        self._on_error = on_error
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http_thread: threading.Thread | None = None
        self._http_ready = threading.Event()
        self._http_stop: asyncio.Event | None = None
        self._http_error: BaseException | None = None

    def start(self) -> tuple[str, str]:
        """Serve both; returns (api_url, web_url)."""
        self._http_thread = threading.Thread(target=self._run_http, name="stack-http", daemon=True)
        self._http_thread.start()
        self._http_ready.wait(10)
        if self._http_error is not None:
            raise RuntimeError(
                f"cannot serve the HTTP API and site ({self._http_error}); "
                "pick other ports (--api-port, --web-port)"
            ) from self._http_error
        if not self._http_ready.is_set():
            raise RuntimeError("HTTP servers did not start in time")
        return self.api_url, self.web_url

    def _run_http(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve_http())
        except BaseException as e:  # noqa: BLE001 - reported to start() through _http_error
            self._http_error = e
            self._http_ready.set()
        finally:
            loop.close()

    async def _serve_http(self) -> None:
        self._http_stop = asyncio.Event()
        # API Gateway accepts up to 10 MB; the handler enforces its own, much smaller, limit.
        api = web.Application(client_max_size=10 * 1024 * 1024)
        api.router.add_route("*", "/{tail:.*}", self._handle_api)
        site_app = web.Application()
        site_app.router.add_get("/", self._handle_index)
        site_app.router.add_get("/articles/{article_id}", self._handle_article)
        site_app.router.add_get("/{path:.*}", self._handle_static)
        runners = []
        try:
            urls = []
            for app, port in ((api, self.api_port), (site_app, self.web_port)):
                runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
                await runner.setup()
                runners.append(runner)
                await web.TCPSite(runner, "127.0.0.1", port).start()
                urls.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
            self.api_url, self.web_url = urls
            self._http_ready.set()
            await self._http_stop.wait()
        finally:
            for runner in runners:
                await runner.cleanup()

    def stop(self) -> None:
        loop, thread = self._loop, self._http_thread
        if loop is not None and thread is not None and self._http_stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(self._http_stop.set)
            thread.join(10)
        self._loop = None
        self._http_thread = None
        self._http_ready.clear()

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        route = lambda_events.match_route(self._routes, request.method, request.path)
        if request.method == "OPTIONS" and route is None:
            if self._cors is not None:
                return web.Response(status=204, headers=self._preflight_headers(request))
            # No CORS configuration on the API: the handler answers preflights itself.
            route = (f"OPTIONS {request.path}", {})
        if route is None:
            return web.json_response({"message": "Not Found"}, status=404)
        route_key, path_params = route
        body = await request.read()
        event = lambda_events.http_api_event(request, body, route_key, path_params)
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(None, self._invoke, event)
        except HandlerError as e:
            self._on_error(f"{route_key} → subscribe handler failed: {e}")
            return web.json_response({"message": "Internal Server Error"}, status=500)
        response = lambda_events.http_api_response(result)
        if (
            self._cors is not None
            and origin
            and "Access-Control-Allow-Origin" not in {k.title() for k in response.headers}
            and self._origin_allowed(origin)
        ):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    def _origin_allowed(self, origin: str) -> bool:
        assert self._cors is not None
        return origin == self._site_origin() or "*" in self._cors["origins"]

    def _preflight_headers(self, request: web.Request) -> dict[str, str]:
        assert self._cors is not None
        origin = request.headers.get("Origin", "")
        if not self._origin_allowed(origin):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ",".join(self._cors["methods"]),
            "Access-Control-Allow-Headers": ",".join(self._cors["headers"]),
            "Access-Control-Max-Age": str(self._cors["max_age"]),
            "Vary": "Origin",
        }

    async def _handle_index(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"/articles/{DEMO_ARTICLE_ID}")

    async def _handle_article(self, request: web.Request) -> web.StreamResponse:
        article_id = request.match_info["article_id"]
        loop = asyncio.get_running_loop()
        page = await loop.run_in_executor(None, self.render_article, article_id)
        if page is None:
            return web.Response(status=404, text="No such article yet.")
        return web.Response(
            text=page, content_type="text/html", headers={"Cache-Control": "no-store"}
        )

    async def _handle_static(self, request: web.Request) -> web.StreamResponse:
        root = WEB_ROOT.resolve()
        target = (root / request.match_info["path"]).resolve()
        hidden = target.name.startswith(".") or target == root / "article.html"  # a template
        if hidden or not target.is_relative_to(root) or not target.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(target, headers={"Cache-Control": "no-cache"})

    def render_article(self, article_id: str) -> str | None:
        """The demo article page: the latest stored version, or the sample before any upload."""
        article = self._stored_article(article_id) or _sample_article(article_id)
        if article is None:
            return None
        page = (WEB_ROOT / "article.html").read_text(encoding="utf-8")
        paragraphs = article.get("body") or article.get("summary") or ""
        body_html = "\n".join(
            f"<p>{html.escape(p.strip())}</p>" for p in paragraphs.split("\n\n") if p.strip()
        )
        values = {
            "article_id": article_id,
            "headline": article.get("headline", ""),
            "dateline": article.get("dateline") or "",
            "updated": _readable_time(article.get("updated")),
            # The sample file, before any upload, has no version yet.
            "version": f"Version {article['version']}" if article.get("version") else "",
            # The snippet splits data-tags on commas, so a comma inside a name cannot stay.
            "tags": ", ".join(str(t).replace(",", " ") for t in article.get("tags") or ()),
            "api_base": self.api_url,
        }
        for k, v in values.items():
            page = page.replace("{{" + k + "}}", html.escape(v, quote=True))
        return page.replace("{{body}}", body_html)


def _sample_article(article_id: str) -> dict[str, Any] | None:
    """Render a sample file before it was uploaded, so the demo page works on a fresh stack."""
    from stoppress.articles.parse import parse_article
    from stoppress.core.errors import ArticleParseError

    for path in sorted(SAMPLES.glob(f"{article_id}.*")):
        if path.suffix.lower() not in (".txt", ".md", ".html", ".htm"):
            continue
        try:
            article = parse_article(path.read_bytes(), key=f"articles/{path.name}")
        except ArticleParseError:
            continue
        return {
            "headline": article.headline,
            "dateline": article.dateline,
            "body": article.body,
            "updated": article.updated_at.isoformat() if article.updated_at else "",
            "tags": list(article.tags),
            "version": None,
        }
    return None


def _readable_time(value: Any) -> str:
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    # Midnight exactly is a date-only "Last Updated" line, not a time anyone typed.
    if when.tzinfo is None or (when.hour, when.minute, when.second) == (0, 0, 0):
        return when.strftime("%-d %b %Y")
    return when.strftime("%-d %b %Y, %H:%M UTC")
