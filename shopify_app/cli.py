"""`flask --app app serve`: the app on 127.0.0.1, in demo mode when no Shopify credentials are set."""

import json
import os

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import WSGIRequestHandler, run_simple

from .error_handlers import HTTP_CODES, JSON_PREFIXES


class JSONErrorRequestHandler(WSGIRequestHandler):
    """The development server's own refusals, made before the app sees the request (431 for more
    than 100 headers or a header line over 64 KiB, 414, 400), in the API's JSON error shape under /api."""

    def send_error(self, code, message=None, explain=None):
        if not str(getattr(self, "path", "")).startswith(JSON_PREFIXES):
            return super().send_error(code, message, explain)
        reason = message or self.responses.get(code, ("Error",))[0]
        error = {"code": HTTP_CODES.get(code, "http_error"), "message": f"{reason}.", "details": {}}
        body = json.dumps({"error": error}).encode()
        self.log_error("code %d, message %s", code, reason)
        self.send_response(code, reason)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _serve(app, host: str, port: int) -> None:
    run_simple(host, port, app, threaded=True, use_reloader=False, request_handler=JSONErrorRequestHandler)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=lambda: int(os.environ.get("PORT") or 8000),
              show_default="PORT or 8000")
@with_appcontext
def serve_command(host: str, port: int):
    """Serve the app (development server). Without SHOPIFY_API_KEY: demo mode."""
    if current_app.config["SHOPIFY_API_KEY"]:
        _serve(current_app._get_current_object(), host, port)
        return
    from . import create_app
    from .demo import DemoServices, demo_overrides

    app = create_app(demo_overrides(current_app.instance_path))
    services = DemoServices(app).start()
    click.echo(f"Demo mode (no Shopify credentials set): open http://{host}:{port}/")
    click.echo(f"A fake Shopify store runs on {services.fake.origin}; a sync worker runs beside the app.")
    try:
        _serve(app, host, port)
    finally:
        services.stop()
