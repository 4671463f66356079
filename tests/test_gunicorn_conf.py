"""The repository's gunicorn.conf.py, as gunicorn loads it: its logger builds no access record
when nothing would write one, and still writes the line when asked to. Each check runs in its own
process: gunicorn's logger set-up reconfigures the process's logging (dictConfig)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE_REQUEST = r'''
import json, logging, sys
from datetime import timedelta
from types import SimpleNamespace
from gunicorn.app.base import Application

class Loaded(Application):
    def load_config(self):  # as `gunicorn --config gunicorn.conf.py [--access-logfile F]`
        self.load_config_from_file("gunicorn.conf.py")
        if len(sys.argv) > 1:
            self.cfg.set("accesslog", sys.argv[1])
    def load(self):
        raise AssertionError

made = []
factory = logging.getLogRecordFactory()
def counting(*args, **kwargs):
    made.append(factory(*args, **kwargs))
    return made[-1]
logging.setLogRecordFactory(counting)

cfg = Loaded().cfg
logger = cfg.logger_class(cfg)
resp = SimpleNamespace(status="200 OK", headers=[("Content-Length", "2")], response_length=2, sent=2)
req = SimpleNamespace(headers=[("USER-AGENT", "test")], method="GET", path="/x", query="", uri="/x",
                      version=(1, 1), peer_addr=("127.0.0.1", 1))
environ = {"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "RAW_URI": "/x", "SERVER_PROTOCOL": "HTTP/1.1"}
logger.access(resp, req, environ, timedelta(milliseconds=3))
logging.shutdown()
print(json.dumps({"log_config": bool(cfg.logconfig_dict), "access": [r.name for r in made if r.name == "gunicorn.access"]}))
'''


def _one_request(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_REQUEST, *args], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_access_record_is_built_when_nothing_would_write_it():
    seen = _one_request()
    assert seen["log_config"]  # the case in which gunicorn's own logger builds one for every request
    assert seen["access"] == []


def test_the_access_line_is_still_written_when_asked_for(tmp_path):
    log = tmp_path / "access.log"
    assert _one_request(str(log))["access"] == ["gunicorn.access"]
    assert '"GET /x HTTP/1.1" 200' in log.read_text()
