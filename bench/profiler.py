"""Where a request's time goes, in one process: the bench's solution on a scratch PostgreSQL
database (BENCH_DATABASE_URL, emptied first, as `make bench` does), 16 wizard sessions, then N
requests of one kind through the WSGI app (no HTTP server, no compression), profiled.

    .venv/bin/python bench/profiler.py get                 # cProfile, the top functions by own time
    .venv/bin/python bench/profiler.py noop --n 2000
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python bench/profiler.py get --n 200 --callgrind   # instructions of the loop only

Kinds: `noop` (/bench/bare: the app's own per-request work), `get` (a screen GET), `next` (a
valid Next POST), `bare` (the yardstick app, bench/bareapp.py)."""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import bench  # noqa: E402
import wizard_journey as journey  # noqa: E402


def environ_for(app, method: str, path: str, body: bytes = b"") -> dict:
    from werkzeug.test import EnvironBuilder
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    env = EnvironBuilder(path=path, method=method, data=body, headers=headers,
                         base_url="http://127.0.0.1:5000").get_environ()
    env.pop("wsgi.input")
    return env


def measured(app, environs: list[tuple[dict, bytes]], n: int) -> float:
    """N requests, round-robin over `environs`; the seconds they took."""
    status = []

    def start_response(s, h, exc_info=None):
        status.append(s)

    t0 = time.perf_counter()
    for i in range(n):
        env, body = environs[i % len(environs)]
        env = dict(env)
        env["wsgi.input"] = io.BytesIO(body)
        out = app(env, start_response)
        b"".join(out)
        if hasattr(out, "close"):
            out.close()
    elapsed = time.perf_counter() - t0
    bad = [s for s in status if not s.startswith(("200", "303"))]
    if bad:
        raise SystemExit(f"unexpected answers: {bad[:3]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("noop", "get", "next", "bare"))
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--sessions", type=int, default=16)
    ap.add_argument("--callgrind", action="store_true", help="no cProfile: run the loop for valgrind to count")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--sort", default="tottime")
    args = ap.parse_args()
    db_url = os.environ.get("BENCH_DATABASE_URL", bench.DEFAULT_DB)
    workdir = tempfile.mkdtemp(prefix="wizard-profile-")
    env = bench.server_env(db_url, workdir, 5000)
    env["WIZARD_PUBLIC_URL"] = "http://127.0.0.1:5000"
    bench.reset_database(db_url)
    subprocess.run([str(bench.BIN / "flask"), "--app", "app", "db", "upgrade"], cwd=bench.ROOT, env=env,
                   check=True, capture_output=True)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("WIZARD_", "DATABASE_", "LOG_"))})
    data = bench.Data(env)
    data.core.publish(journey.DEFINITION)
    owner = data.user("bench-owner")
    pairs = list(zip(data.instances(owner, args.sessions), data.codes(owner, args.sessions)))
    data.ctx.pop()  # the requests below push the measured app's own
    if args.kind == "bare":
        import bareapp
        app = bareapp.app
        environs = [(environ_for(app, "GET", "/bench/bare"), b"")]
    else:
        import benchapp
        app = benchapp.app
        client = app.test_client()
        environs = []
        for iid, code in pairs:
            where = journey._path(client.get(f"/configure/{iid}?code={code}").headers["Location"])
            where = journey._path(client.get(where).headers["Location"])
            page = client.get(where).get_data(as_text=True)
            if args.kind == "get":
                environs.append((environ_for(app, "GET", where), b""))
            elif args.kind == "next":
                body = urlencode([("csrf_token", journey.CSRF.search(page).group(1)), ("wizard_screen", "1"),
                                  ("wizard_action", "next")] + journey._pairs(journey.screens_for(0)[0])).encode()
                environs.append((environ_for(app, "POST", where, body), body))
            else:
                environs.append((environ_for(app, "GET", "/bench/bare"), b""))
    call = app  # as gunicorn calls it (benchapp's statement counter included)
    measured(call, environs, 50)  # warm: each worker parses a definition once, compiles templates
    if args.callgrind:
        # valgrind cannot see Python's functions by name: instrumentation is switched on, and the counts zeroed,
        # around the loop alone (callgrind_control), and the dump it then writes holds only the loop
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-z", str(os.getpid())], check=True, capture_output=True)
        seconds = measured(call, environs, args.n)
        subprocess.run(["callgrind_control", "-d", "measured", str(os.getpid())], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
        print(f"{args.kind}: {args.n} requests, {seconds / args.n * 1e6:,.0f} µs each (under valgrind); "
              f"instructions per request: the dump's 'totals:' line (/tmp/cg.<pid>.1) / {args.n}")
        return
    prof = cProfile.Profile()
    prof.enable()
    seconds = measured(call, environs, args.n)
    prof.disable()
    print(f"{args.kind}: {args.n} requests, {seconds / args.n * 1e6:,.0f} µs each (profiled)")
    pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
    plain = measured(call, environs, args.n)
    print(f"{args.kind}: {args.n} requests, {plain / args.n * 1e6:,.0f} µs each (not profiled)")


if __name__ == "__main__":
    main()
