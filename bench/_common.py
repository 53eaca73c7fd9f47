"""Helpers shared by the benchmarks under bench/: moto's server as a separate process,
the peer (Cloud Custodian) in its own venv, the children's environment, medians,
tables and a description of the machine.

Nothing here is timed; the benchmarks import it before they start any clock.
"""
from __future__ import annotations

import contextlib
import datetime
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from typing import Any, Callable, Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
C7N_VENV = BENCH / ".venv-c7n"
C7N_REQUIREMENTS = BENCH / "requirements-c7n.txt"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOME_REGION = "eu-central-1"
# Fake credentials and the home region for every child; AWS_ENDPOINT_URL is added.
FAKE_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": HOME_REGION,
            "AWS_REGION": HOME_REGION, "MONOCYTE_DRY_RUN": "false"}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- moto's server ------------------------------------------------------------------

@contextlib.contextmanager
def interleave(ours: Callable[[bool], Any], theirs: Callable[[bool], Any], runs: int) -> None:
    """One untimed round each (bytecode caches written, files in the page cache), then
    ``runs`` timed rounds, alternating who goes first so drift hits both alike. Each
    step is called with ``keep``: whether its figures count."""
    ours(False)
    theirs(False)
    for n in range(runs):
        for step in ((ours, theirs) if n % 2 == 0 else (theirs, ours)):
            step(True)


def moto_server(log_path: pathlib.Path) -> Iterator[str]:
    """moto's server as a separate process on a free port; stopped on the way out,
    whatever happens in between."""
    from chalicelib.sandbox import free_port

    port = free_port()
    # moto's server with the corrections the sandbox applies (chalicelib/moto_fixes.py:
    # without them a scan meets moto's ~1300 public snapshots as the account's own).
    serve = ("import sys; from chalicelib import moto_fixes; moto_fixes.apply(); "
             "from moto.server import main; main(sys.argv[1:])")
    command = [sys.executable, "-c", serve, "-H", "127.0.0.1", "-p", str(port)]
    url = f"http://127.0.0.1:{port}"
    log = open(log_path, "wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto's server exited with {proc.returncode}; "
                                   f"see {log_path}")
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto's server did not answer on {url} in 60 s")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def child_env(url: str) -> dict:
    """The environment of a child: ours without AWS_*/MONOCYTE_*/PYTHONPATH, plus fake
    credentials and AWS_ENDPOINT_URL pointing at moto."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "MONOCYTE_")) and k != "PYTHONPATH"}
    env.update(FAKE_ENV, AWS_ENDPOINT_URL=url)
    return env


# --- the peer -----------------------------------------------------------------------

def ensure_peer() -> tuple[pathlib.Path | None, str]:
    """The peer's interpreter, installing c7n in its own venv when missing; or None
    and the reason why not."""
    python = C7N_VENV / "bin" / "python"
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('c7n'))"]
    if python.exists():
        found = subprocess.run(probe, capture_output=True, text=True)
        if found.returncode == 0:
            return python, found.stdout.strip()
    print(f"Installing the peer (Cloud Custodian) into {C7N_VENV.relative_to(ROOT)} ...",
          flush=True)
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(C7N_VENV)], check=True,
                           capture_output=True, text=True)
            # Not ours to commit: the venv ignores itself.
            (C7N_VENV / ".gitignore").write_text("*\n")
        requirement = (["-r", str(C7N_REQUIREMENTS)] if C7N_REQUIREMENTS.exists()
                       else ["c7n"])
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *requirement],
                       check=True, capture_output=True, text=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        return None, f"could not install c7n: {str(detail).strip()[-500:]}"
    found = subprocess.run(probe, capture_output=True, text=True)
    if found.returncode != 0:
        return None, f"c7n installed but not importable: {found.stderr.strip()[-500:]}"
    return python, found.stdout.strip()


# --- report -------------------------------------------------------------------------

def table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in lines)


def machine(peer_version: str | None) -> dict:
    import boto3
    import botocore
    import chalice
    import importlib.metadata as md

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        except OSError:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    dirty = git("status", "--porcelain", "--", "app.py", "chalicelib")
    return {"nproc": os.cpu_count(), "python": platform.python_version(),
            "commit": git("rev-parse", "--short", "HEAD"),
            "code_edited_since_commit": bool(dirty) if dirty is not None else None,
            "platform": platform.platform(), "processor": platform.processor() or None,
            "boto3": boto3.__version__, "botocore": botocore.__version__,
            "chalice": chalice.__version__, "moto": md.version("moto"),
            "c7n": peer_version,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
