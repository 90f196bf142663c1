"""The website (port 8000): pages about becoming an AI project manager, with the widget.

Pages are rendered from the knowledge base (Jinja2 autoescapes everything).
The widget is rasa-webchat from npm, served from ``node_modules`` by this app:
no CDN. The widget's settings reach the page's script through ``data-``
attributes, so the Content-Security-Policy can forbid inline scripts.

The staff review console is mounted at ``/console`` (``bot/web/console/``),
with its own, stricter policy (no widget, no inline styles) and no caching.

Run with ``uvicorn --factory bot.web.app:create_app``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.db import session_factory_for
from bot.knowledge.queries import KnowledgeBase, KnowledgeBaseUnavailable
from bot.language import NAMES as LANGUAGE_NAMES
from bot.settings import PROJECT_ROOT, get_settings
from bot.web.console.config import ConsoleConfig
from bot.web.console.routes import create_console
from bot.web.site_text import PREFIXES, TEXT

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
WEBCHAT_DIR = PROJECT_ROOT / "node_modules" / "rasa-webchat" / "lib"
CHARTJS_DIR = PROJECT_ROOT / "node_modules" / "chart.js" / "dist"
# rasa-webchat 1.0.1 injects, with each of its stylesheets, an @import of a
# Google font (which the policy refuses, eleven times a page); it has no option
# to turn it off, so the bundle is served without it (the widget's own
# fallback, sans-serif, applies). Nothing else in the bundle changes.
GOOGLE_FONT_IMPORT = (
    "@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700"
    "&display=swap);"
)
CONSOLE_PREFIX = "/console"
CONSOLE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)


@dataclass(frozen=True)
class SiteConfig:
    socket_url: str  # where the browser reaches the Rasa server's socket.io channel

    @classmethod
    def from_environment(cls) -> SiteConfig:
        return cls(
            socket_url=os.environ.get("ADVISOR_SOCKET_URL", "http://localhost:5005")
        )

    def content_security_policy(self) -> str:
        origin = urlsplit(self.socket_url)
        websocket = f"{'wss' if origin.scheme == 'https' else 'ws'}://{origin.netloc}"
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                # The widget (React) sets style attributes and injects its CSS.
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data:",
                "font-src 'self' data:",
                f"connect-src 'self' {self.socket_url} {websocket}",
                "frame-ancestors 'none'",
                "base-uri 'self'",
                "form-action 'self'",
            ]
        )


class SecurityHeaders:
    """Adds the security headers to every response; the console's are its own."""

    def __init__(self, app: ASGIApp, config: SiteConfig) -> None:
        self.app = app
        common = [
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        self.headers = [
            (b"content-security-policy", config.content_security_policy().encode()),
            *common,
        ]
        self.console_headers = [
            (b"content-security-policy", CONSOLE_POLICY.encode()),
            # Pages of personal data: kept in no cache, shared or private.
            (b"cache-control", b"no-store"),
            *common,
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        console = path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")
        headers = self.console_headers if console else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    config: SiteConfig | None = None, console: ConsoleConfig | None = None
) -> Starlette:
    config = config or SiteConfig.from_environment()
    console = console or ConsoleConfig.from_environment()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["language_names"] = LANGUAGE_NAMES

    @lru_cache(maxsize=1)
    def knowledge_base() -> KnowledgeBase:
        # One per app, so that its snapshot cache serves every request.
        return KnowledgeBase(session_factory_for(get_settings().database_url))

    def page(
        request: Request, template: str, language: str = "en", **context: object
    ) -> Response:
        try:
            snapshot = knowledge_base().in_language(language).snapshot()
        except KnowledgeBaseUnavailable as error:
            log.error("knowledge base unavailable for %s: %s", request.url.path, error)
            snapshot = None
        return templates.TemplateResponse(
            request,
            template,
            {
                "kb": snapshot,
                "socket_url": config.socket_url,
                "lang": language,
                "t": TEXT[language],
                "prefix": PREFIXES[language],
                "other": {"en": "fr", "fr": "en"}[language],
                "other_prefix": PREFIXES["fr" if language == "en" else "en"],
                **context,
            },
            status_code=200 if snapshot is not None else 503,
        )

    def pages(language: str) -> list[Route]:
        """The site's pages in ``language``: "/", "/programmes"... or "/fr/"..."""
        prefix = PREFIXES[language]

        async def home(request: Request) -> Response:
            return page(request, "home.html", language, active="home", path="/")

        async def programmes(request: Request) -> Response:
            return page(
                request,
                "programmes.html",
                language,
                active="programmes",
                path="/programmes",
            )

        async def privacy(request: Request) -> Response:
            return page(
                request, "privacy.html", language, active="privacy", path="/privacy"
            )

        return [
            Route(prefix + "/", home),
            Route(prefix + "/programmes", programmes),
            Route(prefix + "/privacy", privacy),
        ]

    @lru_cache(maxsize=1)
    def webchat_bundle() -> bytes:
        source = (WEBCHAT_DIR / "index.js").read_text(encoding="utf-8")
        if GOOGLE_FONT_IMPORT not in source:
            log.warning("rasa-webchat no longer imports its Google font: check it")
        return source.replace(GOOGLE_FONT_IMPORT, "").encode()

    async def webchat(_: Request) -> Response:
        return Response(webchat_bundle(), media_type="text/javascript")

    async def favicon(_: Request) -> Response:
        # Browsers ask for /favicon.ico where a page names no icon (error pages,
        # CSV downloads): answered instead of a 404 in the console.
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        *pages("en"),
        *pages("fr"),
        Route("/fr", lambda _: RedirectResponse("/fr/", status_code=308)),
        Route("/health", health),
        Route("/vendor/webchat/index.js", webchat),
        Route("/favicon.ico", favicon),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        Mount(
            "/vendor/webchat", StaticFiles(directory=str(WEBCHAT_DIR), check_dir=False)
        ),
        Mount(
            "/vendor/chartjs", StaticFiles(directory=str(CHARTJS_DIR), check_dir=False)
        ),
        Mount(CONSOLE_PREFIX, app=create_console(console, templates)),
    ]
    return Starlette(
        routes=routes, middleware=[Middleware(SecurityHeaders, config=config)]
    )
