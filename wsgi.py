"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from app import create_app, freeze_start_up

app = create_app()
freeze_start_up()
