"""The ASGI application: routes from api.ENDPOINTS, JSON errors, health, metrics, OpenAPI.

``create_app(services)`` is all a deployment needs; uvicorn (cli.py ``serve``) or any
ASGI server runs it.  The app keeps no state besides caches and counters, so any
number of instances can serve the same backends behind a load balancer.
"""
from __future__ import annotations

import logging
import time

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from ldv.plumbing.errors import LdvError

from . import __version__
from .api import ENDPOINTS
from .auth import TokenCache
from .errors import to_http
from .services import Services

log = logging.getLogger("ldv.server")


async def healthz(request: Request):
    """Liveness and readiness: the metadata store answers."""
    version = await run_in_threadpool(request.app.state.svc.store.schema_version)
    return JSONResponse({"status": "ok", "schema_version": version, "version": __version__})


async def metrics(request: Request):
    """Prometheus text format."""
    return PlainTextResponse(request.app.state.svc.metrics.render(),
                             media_type="text/plain; version=0.0.4")


async def openapi(request: Request):
    return JSONResponse(openapi_spec())


def openapi_spec() -> dict:
    paths: dict = {}
    for ep in ENDPOINTS:
        path = ep.path.replace("{index:int}", "{index}")
        paths.setdefault(path, {})[ep.method.lower()] = {
            "summary": ep.summary, "operationId": ep.view.__name__,
            "security": [{"bearer": []}], "x-ldv-role": ep.role,
            "responses": {"200": {"description": "OK"},
                          "4XX": {"$ref": "#/components/responses/Error"}}}
    for path, summary in (("/healthz", "health"), ("/metrics", "Prometheus metrics"),
                          ("/openapi.json", "this document")):
        paths[path] = {"get": {"summary": summary, "responses": {"200": {"description": "OK"}}}}
    error = {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "hint": {"type": "string"}}}}}
    return {"openapi": "3.1.0", "info": {"title": "ldv-server", "version": __version__},
            "paths": paths,
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                           "responses": {"Error": {"description": "JSON error", "content": {
                               "application/json": {"schema": error}}}}}}


async def ldv_error(request: Request, exc: LdvError):
    status, body = to_http(exc)
    headers = {"retry-after": "1"} if status == 429 else None
    return JSONResponse(body, status_code=status, headers=headers)


async def http_error(request: Request, exc: HTTPException):
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse({"error": {"code": code, "message": str(exc.detail), "hint": ""}},
                        status_code=exc.status_code)


async def internal_error(request: Request, exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"error": {"code": "internal", "message": "internal server error",
                                   "hint": "see the server log"}}, status_code=500)


class MetricsMiddleware:
    """Counts requests by route template and status, and times them."""

    def __init__(self, app, svc: Services):
        self.app, self.svc = app, svc

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status = time.perf_counter(), [500]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "other")
            self.svc.metrics.observe(scope["method"], name, status[0],
                                     time.perf_counter() - start)


def create_app(svc: Services) -> Starlette:
    routes = [Route("/healthz", healthz), Route("/metrics", metrics),
              Route("/openapi.json", openapi)]
    routes += [Route(ep.path, ep.view, methods=[ep.method]) for ep in ENDPOINTS]
    app = Starlette(routes=routes, exception_handlers={
        LdvError: ldv_error, HTTPException: http_error, Exception: internal_error})
    app.state.svc = svc
    app.state.token_cache = TokenCache(svc.limits.token_cache_s)
    app.add_middleware(MetricsMiddleware, svc=svc)
    return app
