"""Issue 27: the settings `make run` used reach the CLI in another shell. `.env` is read by every
`flask` command (python-dotenv, as Flask does) and by the Makefile for PORT; the real environment
wins over it. Run as a newcomer would: the repository's own `.venv/bin/flask`, in a directory
holding a `.env`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "app"]


def run(cwd: Path, *args, env=None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("WIZARD_", "DATABASE_URL", "FLASK_")) and k != "PORT"}
    return subprocess.run([*FLASK, *args], cwd=cwd, env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=120)


def test_the_cli_reads_the_port_and_database_of_dot_env(tmp_path):
    (tmp_path / ".env").write_text(
        f"PORT=5077\nDATABASE_URL=sqlite:///{tmp_path}/wizard.sqlite\nWIZARD_INSTANCE_PATH={tmp_path}/instance\n")
    for args in (("db", "upgrade"), ("demo", "setup")):
        out = run(tmp_path, *args)
        assert out.returncode == 0, out.stderr
    user_id = run(tmp_path, "users", "create", "ops-1").stdout.strip()
    instance = run(tmp_path, "instances", "create", user_id, "slack-alerts").stdout.strip()
    out = run(tmp_path, "instances", "wizard-url", instance)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"http://127.0.0.1:5077/configure/{instance}?code="), out.stdout
    assert (tmp_path / "wizard.sqlite").exists()  # the database of .env, not instance/ of the repo

    # The environment wins over .env (as `PORT=8080 make run` does).
    out = run(tmp_path, "instances", "wizard-url", instance, env={"PORT": "8080"})
    assert out.stdout.startswith("http://127.0.0.1:8080/configure/"), out.stdout


def test_the_makefile_takes_port_from_the_environment_then_dot_env_then_5000(tmp_path):
    for name in ("Makefile", "requirements.txt"):  # a copy: `make -n` beside a .env of the test's
        (tmp_path / name).write_text((ROOT / name).read_text())
    def port(env_file: str | None, env_port: str | None = None) -> str:
        if env_file is None:
            (tmp_path / ".env").unlink(missing_ok=True)
        else:
            (tmp_path / ".env").write_text(env_file)
        env = {k: v for k, v in os.environ.items() if k != "PORT"}
        if env_port:
            env["PORT"] = env_port
        out = subprocess.run(["make", "-s", "-n", "run"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60)
        return out.stdout.strip().splitlines()[-1].rsplit("--port ", 1)[1]

    assert port(None) == "5000"
    assert port("PORT=5077\n") == "5077"
    assert port('# a comment\nPORT = "5078"\n') == "5078"
    assert port("PORT=5077\n", env_port="8080") == "8080"


def test_dot_env_is_not_committed_and_its_example_is():
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert "PORT=" in (ROOT / ".env.example").read_text()
