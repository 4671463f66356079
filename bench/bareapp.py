"""The yardstick of `make bench`: a separate Flask app with one route that answers "ok", served
by the same gunicorn settings as the wizard (gunicorn.conf.py, `-w 2` sync, `--preload`). The
wizard's screen GET, its Next POST and its own do-nothing route (`/bench/bare` in benchapp.py,
which carries all of the app's per-request work) are each printed as a ratio to this app's
throughput, measured in the same run."""
from flask import Flask

app = Flask(__name__)


@app.get("/bench/bare")
def bare():
    return "ok"
