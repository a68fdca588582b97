"""The WSGI entry point: `flask --app app run`, `gunicorn app:app`."""

from shopify_app import create_app

app = create_app()
