"""gunicorn settings for production (`make serve`; any `gunicorn app:app` run from the repository
root reads this file). Environment: PORT / WIZARD_BIND, WEB_CONCURRENCY (workers), and the app's
own settings (README). Sync workers: a wizard request is short and mostly CPU (templates) and
database; one per core and one more for each core's wait on the database."""
import gc
import multiprocessing
import os
import shutil
import tempfile

from gunicorn import glogging

bind = os.environ.get("WIZARD_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
preload_app = True           # import once, fork the workers (the static build runs once)
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 20000         # recycle workers now and then (memory), at staggered times
max_requests_jitter = 2000
accesslog = None             # the app logs one JSON line per request, with its request id
errorlog = "-"


class Logger(glogging.Logger):
    """gunicorn's logger, less the access record that nothing writes. Whenever a log config is
    set (logconfig_dict below), gunicorn's own builds one for every request, its atoms from every
    header and environ key, then a LogRecord that the app's logging redacts, and hands it to
    "gunicorn.access", which has no handler and does not propagate (about 15% of a worker's
    time on the app's do-nothing route). It still logs whenever something would write the line:
    `accesslog` (--access-logfile), syslog, or a handler on "gunicorn.access"."""

    def access(self, resp, req, environ, request_time):
        """Called by the worker after each request."""
        if (self.cfg.accesslog is not None or self.access_log.handlers
                or (self.cfg.syslog and not self.cfg.disable_redirect_access_to_syslog)):
            super().access(resp, req, environ, request_time)


logger_class = Logger

# Prometheus: the workers share their figures through files here (wizard/web/operations.py);
# set before the app is imported (preload), emptied at each start.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.path.join(tempfile.gettempdir(),
                                                                          f"wizard-metrics-{os.getpid()}")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
shutil.rmtree(_metrics_dir, ignore_errors=True)
os.makedirs(_metrics_dir, exist_ok=True)


_frozen = False


def pre_fork(_server, _worker):
    """Called in the master before each worker is forked. The first time, what the app made at
    import (preload) is collected and frozen into the permanent generation: the workers' garbage
    collections never walk it again and never write to its memory pages, which stay shared. Only
    once: a later freeze would also keep whatever garbage the master made since."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


def child_exit(_server, worker):
    """Called in the master when a worker exits: its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                            "rename_fields": {"levelname": "level", "asctime": "time"}}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False}},
}
