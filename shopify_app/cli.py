"""`flask --app app serve`: the app on 127.0.0.1, in demo mode when no Shopify credentials are set."""

import os

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT") or 8000), show_default="PORT or 8000")
@with_appcontext
def serve_command(host: str, port: int):
    """Serve the app (development server). Without SHOPIFY_API_KEY: demo mode."""
    if current_app.config["SHOPIFY_API_KEY"]:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
        return
    from . import create_app
    from .demo import DemoServices, demo_overrides

    app = create_app(demo_overrides(current_app.instance_path))
    services = DemoServices(app).start()
    click.echo(f"Demo mode (no Shopify credentials set): open http://{host}:{port}/")
    click.echo(f"A fake Shopify store runs on {services.fake.origin}; a sync worker runs beside the app.")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        services.stop()
