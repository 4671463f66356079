"""Entry point: `flask --app app run`, `gunicorn app:app`."""
from wizard import create_app

app = create_app()
