"""`make bench`: measure the wizard server on this machine and print one table (bench/README.md).

Everything runs against a scratch PostgreSQL database (BENCH_DATABASE_URL, emptied first) and
real gunicorn processes (bench/benchapp.py: the production app plus a do-nothing route and a
statements header). Throughput is always a ratio to a separate one-route Flask app
(bench/bareapp.py, the same gunicorn settings) measured in the same run.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/wizard_bench"
MASTER = "mt_bench_master_token_0123456789abcdef"
sys.path[:0] = [str(ROOT), str(BENCH)]

import wizard_journey as journey  # noqa: E402

INSTANCES_QUERY, SOLUTIONS_QUERY = journey.INSTANCES_QUERY, journey.SOLUTIONS_QUERY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the scratch database and its data ---------------------------------------------------------

def reset_database(url: str) -> None:
    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if not c.scalar(text("select 1 from pg_database where datname = :d"), {"d": u.database}):
            c.execute(text(f'create database "{u.database}"'))
    admin.dispose()
    engine = create_engine(u, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text("drop schema public cascade"))
        c.execute(text("create schema public"))
    engine.dispose()


def server_env(db_url: str, instance_path: str, port: int) -> dict:
    return {**os.environ, "DATABASE_URL": db_url, "WIZARD_INSTANCE_PATH": instance_path,
            "WIZARD_PUBLIC_URL": f"http://127.0.0.1:{port}", "WIZARD_MASTER_TOKEN": MASTER,
            "WIZARD_CODE_TTL": "7200", "WIZARD_WEBHOOKS_THREAD": "0", "WIZARD_SANDBOX": "0",
            # the limiter stays on (its cost is part of a request), with room for the load tools
            "WIZARD_RATE_LIMIT_CODES": "1000000 per minute", "WIZARD_RATE_LIMIT_API": "1000000 per minute",
            "LOG_LEVEL": "WARNING", "PYTHONPATH": f"{ROOT}{os.pathsep}{BENCH}"}


class Data:
    """In-process access to the scratch database (the same settings as the servers)."""

    def __init__(self, env: dict):
        os.environ.update({k: v for k, v in env.items() if k.startswith(("WIZARD_", "DATABASE_"))})
        from wizard import create_app
        self.app = create_app()
        self.ctx = self.app.app_context()
        self.ctx.push()
        from wizard import identity
        from wizard.core import embedded_core
        self.core, self.identity = embedded_core(), identity

    def user(self, external_id: str):
        return self.identity.create_user(external_id, external_id)

    def instances(self, owner, n: int, **values) -> list[str]:
        return [] if n <= 0 else [self.core.create_instance(owner.id, journey.SOLUTION_ID, f"bench {i}", **values).id for i in range(n)]

    def codes(self, owner, n: int) -> list[str]:
        return [self.identity.generate_code(owner.id) for _ in range(n)]


class Server:
    """gunicorn serving `app` (bench/benchapp.py, or the yardstick bench/bareapp.py) with the
    repo's gunicorn.conf.py (when there is one) and `workers` sync workers."""

    def __init__(self, env: dict, port: int, workers: int, log: Path, app: str = "benchapp:app"):
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
             "--timeout", "120", "--preload", app],
            cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.base}/bench/bare", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- measurements ------------------------------------------------------------------------------

def statements_of_a_journey(server: Server, data: Data, owner) -> list[tuple[str, int]]:
    """One journey's statements per request, after warm-up journeys (each worker parses a
    version's definition once, on its first request for it)."""
    for n in range(4):
        journey.run(_Based(server.base), data.instances(owner, 1)[0], data.codes(owner, 1)[0], n)
    iid = data.instances(owner, 1)[0]
    steps: list = []
    journey.run(_Based(server.base), iid, data.codes(owner, 1)[0], 1, steps)
    return [(name, int(resp.headers["X-Bench-Statements"])) for name, resp in steps]


class _Based(requests.Session):
    """A requests session whose paths are relative to the server (journey.run takes paths)."""

    def __init__(self, base):
        super().__init__()
        self.base = base

    def request(self, method, url, *a, **kw):
        return super().request(method, self.base + url if url.startswith("/") else url, *a, **kw)


def api_statements(server: Server, query: str, variables: dict) -> tuple[int, dict]:
    resp = requests.post(f"{server.base}/graphql", json={"query": query, "variables": variables},
                         headers={"Authorization": f"Bearer {MASTER}"}, timeout=120)
    body = resp.json()
    assert resp.status_code == 200 and not body.get("errors"), body
    return int(resp.headers["X-Bench-Statements"]), body["data"]


STATIC = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def wire_bytes(resp: requests.Response) -> int:
    """Status line, headers and the body as sent (compressed when it was)."""
    head = len(f"HTTP/1.1 {resp.status_code} {resp.reason}\r\n") + sum(
        len(k) + len(v) + 4 for k, v in resp.headers.items()) + 2
    return head + len(resp.raw_body)


def fetch(http, url, **kw):
    resp = http.get(url, allow_redirects=False, stream=True, **kw)
    resp.raw_body = resp.raw.read(decode_content=False)
    return resp


def first_screen(server: Server, data: Data, owner) -> dict:
    """Bytes on the wire from the entry URL to the first screen shown, its static files
    included, as a browser with an empty cache fetches them (gzip/br accepted); then the
    second screen with the cache the first one left: a file is fetched again unless its
    answer allowed keeping it (max-age without no-cache)."""
    http = _Based(server.base)
    http.headers["Accept-Encoding"] = "gzip, deflate, br"
    iid = data.instances(owner, 1)[0]
    total, requests_made, cache = 0, 0, {}
    url = f"/configure/{iid}?code={data.codes(owner, 1)[0]}"
    while True:
        resp = fetch(http, url)
        total += wire_bytes(resp)
        requests_made += 1
        if resp.status_code != 303:
            break
        url = journey._path(resp.headers["Location"])
    page = resp.content if not resp.raw_body else _decoded(resp)
    for asset in sorted(set(STATIC.findall(page))):
        r = fetch(http, asset)
        total += wire_bytes(r)
        requests_made += 1
        cache[asset] = r.headers.get("Cache-Control", "")
    # the second screen: submit the first, open the second, see which files it would fetch
    form = [("csrf_token", journey.CSRF.search(page).group(1)), ("wizard_screen", "1"),
            ("wizard_action", "next")] + journey._pairs(journey.screens_for(0)[0])
    nxt = http.post(url, data=form, allow_redirects=False)
    page2 = http.get(journey._path(nxt.headers["Location"])).text
    refetched = [a for a in sorted(set(STATIC.findall(page2)))
                 if a not in cache or "no-cache" in cache[a] or "max-age" not in cache[a]]
    return {"bytes": total, "requests": requests_made, "refetched": refetched}


def _decoded(resp) -> str:
    enc = resp.headers.get("Content-Encoding", "")
    raw = resp.raw_body
    if enc == "gzip":
        raw = gzip.decompress(raw)
    elif enc == "br":
        import brotli
        raw = brotli.decompress(raw)
    elif enc == "zstd":
        import zstandard
        raw = zstandard.ZstdDecompressor().decompress(raw)
    return raw.decode()


WRK = re.compile(r"Requests/sec:\s+([\d.]+)")
TOTAL = re.compile(r"(\d+) requests in ")
P50 = re.compile(r"50%\s+([\d.]+)(us|ms|s)\b")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: str) -> tuple[str, int, float, float] | None:
    """(command name, parent pid, CPU seconds used, CPU seconds of its children that ended and
    were waited for) of a process, from /proc; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
    return name, int(rest[1]), (int(rest[11]) + int(rest[12])) / _TICK, (int(rest[13]) + int(rest[14])) / _TICK


def cpu_by_part(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the gunicorn workers and master (`server_pid` and its children)
    and by PostgreSQL's processes on this machine (none when the database is elsewhere), with
    those that ended meanwhile: a worker gunicorn recycled (max_requests), and the database
    connections it closed, count through the parent that waited for them (gunicorn's master,
    PostgreSQL's postmaster)."""
    used = {"app": 0.0, "db": 0.0}
    if not os.path.isdir("/proc"):
        return used
    stats = {int(pid): found for pid in filter(str.isdigit, os.listdir("/proc")) if (found := _stat(pid))}
    for pid, (name, parent, seconds, ended_children) in stats.items():
        if pid == server_pid:
            used["app"] += seconds + ended_children
        elif parent == server_pid:
            used["app"] += seconds
        elif name.startswith("postgres"):
            postmaster = not stats.get(parent, ("",))[0].startswith("postgres")
            used["db"] += seconds + (ended_children if postmaster else 0.0)
    return used


def wrk(url: str, seconds: int, connections: int, server_pid: int, script: Path | None = None) -> dict:
    """One wrk run: requests per second, the median latency (ms) and the CPU time per request (µs)
    of the app's processes (`server_pid` and its children), PostgreSQL's and wrk's own."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"] + (["-s", str(script)] if script else []) + [url]
    before = cpu_by_part(server_pid)
    load_tool = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"wrk saw {non2xx.group(1)} failed answers on {url}:\n{out}")
    p50 = P50.search(out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
    after, done = cpu_by_part(server_pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    n = int(TOTAL.search(out).group(1))
    return {"rps": float(WRK.search(out).group(1)), "p50": float(p50.group(1)) * scale,
            "cpu": {"app": (after["app"] - before["app"]) / n * 1e6, "db": (after["db"] - before["db"]) / n * 1e6,
                    "load": (done.ru_utime + done.ru_stime - load_tool.ru_utime - load_tool.ru_stime) / n * 1e6}}


PARTS = ("read", "context", "form")  # benchapp.part_of_a_screen


def wrk_scripts(server: Server, data: Data, owner, sessions: int, workdir: Path) -> dict[str, Path]:
    """Lua for wrk: GETs of screen 1 and Next POSTs of screen 1, round-robin over `sessions`
    wizard sessions (one instance each), as many browsers would; and GETs of the same sessions
    stopped after each part of a screen GET's work (PARTS), answering as many bytes."""
    gets, posts, size = [], [], 0
    for iid, code in zip(data.instances(owner, sessions), data.codes(owner, sessions)):
        http = _Based(server.base)
        where = journey._path(http.get(f"/configure/{iid}?code={code}", allow_redirects=False).headers["Location"])
        where = journey._path(http.get(where, allow_redirects=False).headers["Location"])
        page = http.get(where).text
        size = len(page.encode())
        body = requests.models.RequestEncodingMixin._encode_params(
            [("csrf_token", journey.CSRF.search(page).group(1)), ("wizard_screen", "1"), ("wizard_action", "next")]
            + journey._pairs(journey.screens_for(0)[0]))
        gets.append(where)
        posts.append((where, body))
    scripts = {"get": _get_script(workdir / "get.lua", gets)}
    for part in PARTS:
        scripts[part] = _get_script(workdir / f"{part}.lua", [re.sub(r"/screen/1$", f"/bench/{part}?bytes={size}", p) for p in gets])
    lua_post = workdir / "post.lua"
    lua_post.write_text(
        "local posts = {" + ",".join("{%s,%s}" % (json.dumps(p), json.dumps(b)) for p, b in posts) + "}\nlocal i = 0\n"
        "request = function() i = i % #posts + 1\n"
        "  return wrk.format('POST', posts[i][1], {['Content-Type']='application/x-www-form-urlencoded'}, posts[i][2]) end\n")
    scripts["next"] = lua_post
    return scripts


def without_disk_wait(db_url: str) -> str:
    """The bench database, reached by connections whose commits do not wait for the disk
    (PostgreSQL's synchronous_commit off): a Next POST served so shows, beside the real one, what
    its durable progress UPDATE costs. For that comparison only: the app never sets it."""
    return make_url(db_url).update_query_dict({"options": "-c synchronous_commit=off"}).render_as_string(
        hide_password=False)


def _get_script(path: Path, paths: list[str]) -> Path:
    path.write_text("local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\nlocal i = 0\n"
                    "request = function() i = i % #paths + 1; return wrk.format('GET', paths[i]) end\n")
    return path


def throughput(server: Server, bare: Server, nowait: Server, scripts: dict[str, Path], seconds: int,
               rounds: int, connections: int) -> dict:
    """The bare app (a separate one-route Flask app, the yardstick), the app's own do-nothing
    route, screen GET, Next POST and the parts of a screen GET, and the Next POST again on
    `nowait` (the app whose commits do not wait for the disk: `without_disk_wait`), interleaved in
    each round; medians over rounds (each figure its own median)."""
    runs = {"bare": [], "noop": [], **{name: [] for name in scripts}, "next_nowait": []}
    pid = server.proc.pid
    for _ in range(rounds):
        runs["bare"].append(wrk(f"{bare.base}/bench/bare", seconds, connections, bare.proc.pid))
        runs["noop"].append(wrk(f"{server.base}/bench/bare", seconds, connections, pid))
        for name, script in scripts.items():
            runs[name].append(wrk(server.base, seconds, connections, pid, script))
        runs["next_nowait"].append(wrk(nowait.base, seconds, connections, nowait.proc.pid, scripts["next"]))
    return {k: {"rps": statistics.median(r["rps"] for r in v), "p50": statistics.median(r["p50"] for r in v),
                "cpu": {part: statistics.median(r["cpu"][part] for r in v) for part in ("app", "db", "load")}}
            for k, v in runs.items()}


def concurrent_journeys(server: Server, data: Data, owner, n: int, workdir: Path, env: dict) -> dict:
    """`n` complete journeys at once with Locust (headless, bounded), then every value checked
    in the database."""
    iids = data.instances(owner, n)
    plan = workdir / "journeys.json"
    plan.write_text(json.dumps([{"iid": i, "code": c, "n": k} for k, (i, c) in
                                enumerate(zip(iids, data.codes(owner, n)), start=1000)]))
    result = workdir / "locust-result.json"
    started = time.monotonic()
    proc = subprocess.run(
        [str(BIN / "locust"), "-f", str(BENCH / "locustfile.py"), "--headless", "-u", str(n), "-r", str(min(n, 100)),
         "--run-time", "600s", "--stop-timeout", "30", "--host", server.base, "--only-summary",
         "--loglevel", "WARNING"],
        cwd=BENCH, env={**env, "BENCH_JOURNEYS": str(plan), "BENCH_RESULT": str(result)},
        capture_output=True, text=True)
    elapsed = time.monotonic() - started
    outcome = json.loads(result.read_text()) if result.exists() else {"finished": 0, "errors": ["no result"]}
    from wizard.extensions import db
    db.session.expire_all()
    wrong = []
    for k, iid in enumerate(iids, start=1000):
        inst = data.core.get_instance(iid)
        if inst.config_values != journey.expected_values(k) or not inst.enabled:
            wrong.append(iid)
    return {"journeys": n, "finished": outcome["finished"], "errors": len(outcome["errors"]),
            "error_sample": outcome["errors"][:3], "wrong": len(wrong), "seconds": elapsed,
            "locust_rc": proc.returncode, "locust_tail": (proc.stdout + proc.stderr)[-1500:]}


# -- the run -----------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=10, help="each wrk run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers for the throughput runs")
    ap.add_argument("--journeys", type=int, default=500, help="concurrent complete journeys (Locust)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: throughput,journeys")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    workdir = Path(tempfile.mkdtemp(prefix="wizard-bench-"))
    port = free_port()
    env = server_env(db_url, str(workdir), port)
    reset_database(db_url)
    subprocess.run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    data = Data(env)
    data.core.publish(journey.DEFINITION)
    owner = data.user("bench-owner")
    rows: list[tuple[str, str]] = []
    server = Server(env, port, args.workers, workdir / "gunicorn.log")
    try:
        if "throughput" not in skip:
            scripts = wrk_scripts(server, data, owner, args.connections, workdir)
            bare_port = free_port()
            bare_app = Server({**env, "WIZARD_PUBLIC_URL": f"http://127.0.0.1:{bare_port}"}, bare_port,
                              args.workers, workdir / "gunicorn-bare.log", app="bareapp:app")
            try:
                nowait_port = free_port()
                nowait = Server({**env, "DATABASE_URL": without_disk_wait(db_url),
                                 "WIZARD_PUBLIC_URL": f"http://127.0.0.1:{nowait_port}"}, nowait_port, args.workers,
                                workdir / "gunicorn-nowait.log")
                try:
                    t = throughput(server, bare_app, nowait, scripts, args.seconds, args.rounds, args.connections)
                finally:
                    nowait.stop()
            finally:
                bare_app.stop()
            bare = t["bare"]["rps"]
            rows += [
                (f"bare app: a separate one-route Flask app (gunicorn -w {args.workers} sync, wrk -c{args.connections}, "
                 f"median of {args.rounds}x{args.seconds}s)", f"{bare:,.0f} req/s, p50 {t['bare']['p50']:.1f} ms"),
                ("the app's own do-nothing route (/bench/bare)",
                 f"{t['noop']['rps']:,.0f} req/s = **{t['noop']['rps'] / bare:.3f}x** bare app, p50 {t['noop']['p50']:.1f} ms"),
                ("wizard screen GET", f"{t['get']['rps']:,.0f} req/s = **{t['get']['rps'] / bare:.3f}x** bare app, p50 {t['get']['p50']:.1f} ms"),
                ("Next POST (valid, 303)", f"{t['next']['rps']:,.0f} req/s = **{t['next']['rps'] / bare:.3f}x** bare app, p50 {t['next']['p50']:.1f} ms"),
                ("Next POST, for comparison only: the same app, its progress UPDATE not waiting for the disk "
                 "(synchronous_commit off on its connections; the app never runs so)",
                 f"{t['next_nowait']['rps']:,.0f} req/s = {t['next_nowait']['rps'] / bare:.3f}x bare app, "
                 f"p50 {t['next_nowait']['p50']:.1f} ms"),
            ]
            # CPU time per request, by process: on a machine the runs keep busy, throughput is
            # the inverse of the whole (app + database + load tool), so this says what to cut
            for name, label in (("bare", "bare app"), ("noop", "the app's do-nothing route"),
                                ("get", "screen GET"), ("next", "Next POST"),
                                ("next_nowait", "Next POST not waiting for the disk")):
                c = t[name]["cpu"]
                rows.append((f"CPU per request, {label}: app (gunicorn) + PostgreSQL + wrk",
                             f"{c['app']:,.0f} + {c['db']:,.0f} + {c['load']:,.0f} = {sum(c.values()):,.0f} µs"))
            # where a screen GET's time goes: the same sessions' GETs stopped after each part of
            # the work, with a page of the same size; each part's share of a whole GET's time
            labels = {"read": "the session's one statement", "context": "+ context and engine",
                      "form": "+ the screen's form", "get": "+ the render and the rest of the view (the whole GET)"}
            whole, before = 1 / t["get"]["rps"], 1 / t["noop"]["rps"]
            rows.append(("screen GET's time: what the app's do-nothing route does too", f"{before / whole:.0%}"))
            for part in (*PARTS, "get"):
                rate = t[part]["rps"]
                rows.append((f"screen GET stopped after: {labels[part]}",
                             f"{rate:,.0f} req/s = {rate / bare:.3f}x bare app; this part {(1 / rate - before) / whole:.0%} of a GET's time"
                             f"; app CPU {t[part]['cpu']['app']:,.0f} µs per request"))
                before = 1 / rate
        for name, count in statements_of_a_journey(server, data, owner):
            rows.append((f"statements: {name}", str(count)))
        for total in (10, 100, 1000):  # instances with values; pages of at most 100 (the API's limit)
            data.instances(owner, total - len(data.core.list_instances(first=total)[0]),
                           config_values={"channel": "#x", "level": "all", "keywords": ["deploy"], "api_key": "k"})
            counts, after = [], None
            while True:
                count, got = api_statements(server, INSTANCES_QUERY, {"first": min(total, 100), "after": after})
                counts.append(count)
                page = got["solutionInstances"]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            rows.append((f"statements: solutionInstances, {total} instances, pages of {min(total, 100)}, every field",
                         f"{max(counts)} per page ({len(counts)} pages, {sum(counts)} in all)"))
        for k in range(9):
            data.core.publish({**journey.DEFINITION, "id": f"bench-{k}", "title": f"Bench {k}"})
        count, got = api_statements(server, SOLUTIONS_QUERY, {"first": 10})
        rows.append((f"statements: solutions page of {len(got['solutions']['edges'])}", str(count)))
        fs = first_screen(server, data, owner)
        rows.append(("first screen on the wire (entry to screen 1, static files included)",
                     f"{fs['bytes'] / 1024:.1f} KB in {fs['requests']} requests"))
        rows.append(("static files the second screen fetches again", str(len(fs["refetched"])) +
                     (f" ({', '.join(fs['refetched'])})" if fs["refetched"] else "")))
        if "journeys" not in skip:
            server.stop()
            server = Server(env, port, _cpu_workers(), workdir / "gunicorn-journeys.log")
            cj = concurrent_journeys(server, data, owner, args.journeys, workdir, env)
            rows.append((f"{cj['journeys']} concurrent complete journeys (Locust, PostgreSQL, gunicorn -w {_cpu_workers()})",
                         f"{cj['finished']} finished in {cj['seconds']:.0f} s, {cj['errors']} errors, "
                         f"{cj['wrong']} with a wrong value"))
            if cj["errors"] or cj["wrong"] or cj["finished"] != cj["journeys"]:
                print(cj["error_sample"], cj["locust_tail"], file=sys.stderr)
    finally:
        server.stop()
    print(f"\n`make bench` on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"git {_git_head()}\n")
    print("| measure | result |\n| --- | --- |")
    for k, v in rows:
        print(f"| {k} | {v} |")
    shutil.rmtree(workdir, ignore_errors=True)


def _cpu_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def _git_head() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
