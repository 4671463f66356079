"""Slow clients (issue 26, fault 11): a few connections sending their bodies one byte at a time
hold every sync worker of gunicorn, /healthz included. The repository's nginx settings
(deploy/nginx/wizard-proxy.conf) read each request whole before gunicorn sees it: Debian's nginx
in front of gunicorn, the same slow bodies, and /healthz still answers."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from support import MASTER, free_port, wait_until_ready

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SLOW_CLIENTS = 4
WORKERS = 2




@pytest.fixture
def gunicorn(app, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WIZARD_INSTANCE_PATH": str(tmp_path), "WIZARD_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "WIZARD_MASTER_TOKEN": MASTER, "SECRET_KEY": "test-secret",
           "WIZARD_ENCRYPTION_KEYS": ",".join(app.config["WIZARD_ENCRYPTION_KEYS"]),
           "WIZARD_RATE_LIMITS": "0", "WIZARD_WEBHOOKS_THREAD": "0", "WEB_CONCURRENCY": str(WORKERS),
           "WIZARD_BIND": f"127.0.0.1:{port}"}
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:  # the repository's gunicorn.conf.py: sync workers, as `make serve`
        proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py",
                                 "app:app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(proc, base, log)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def nginx(gunicorn, tmp_path):
    """Debian's nginx (`make test-deps` installs it) with the repository's proxy settings."""
    assert os.path.exists(NGINX), "nginx is missing: run `make test-deps` (it installs Debian's nginx)"
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log warn;
daemon off;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    upstream wizard_app {{ server 127.0.0.1:{gunicorn}; keepalive 4; }}
    server {{
        listen 127.0.0.1:{port};
        include {ROOT}/deploy/nginx/wizard-proxy.conf;
    }}
}}
""")
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "nginx-error.log").read_text()
        time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(timeout=15)


class SlowBodies:
    """`SLOW_CLIENTS` connections each POSTing /graphql with a 40-byte body, a byte every 0.5 s."""

    def __init__(self, port: int):
        self.port, self.stop = port, threading.Event()
        self.socks = []
        for _ in range(SLOW_CLIENTS):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Authorization: Bearer x\r\nContent-Length: 40\r\n\r\n")
            self.socks.append(s)
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()
        time.sleep(1)  # every slow client is in a worker (or in nginx) by now

    def _drip(self):
        for _ in range(40):
            if self.stop.wait(0.5):
                return
            for s in self.socks:
                try:
                    s.send(b" ")
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        for s in self.socks:
            s.close()


def _healthz(port: int) -> int | None:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
    except requests.RequestException:
        return None


@pytest.mark.timeout(120)
def test_slow_bodies_hold_gunicorn_alone_but_not_behind_the_repositorys_nginx(gunicorn, nginx):
    direct = SlowBodies(gunicorn)  # the fault: gunicorn alone
    try:
        assert _healthz(gunicorn) is None  # every worker is reading a slow body
    finally:
        direct.close()
    time.sleep(1)
    assert _healthz(gunicorn) == 200

    proxied = SlowBodies(nginx)
    try:
        assert [_healthz(nginx) for _ in range(3)] == [200] * 3
        assert _healthz(gunicorn) == 200  # the workers were never held
    finally:
        proxied.close()
