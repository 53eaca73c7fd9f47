"""monocyte sandbox: a standalone corrected emulator a scan can use with no other set-up."""
import os
import signal
import subprocess
import sys

from chalicelib.sandbox import free_port


def test_a_seeded_sandbox_scans_clean_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(MONOCYTE_ALLOWED_REGIONS="eu-central-1,eu-west-1",
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_CONFIG_FILE=str(tmp_path / "none"))
    server = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "sandbox", "--seed",
                               "--port", str(port)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        printed = []
        for line in server.stdout:
            printed.append(line.strip())
            if line.startswith("monocyte scan"):
                break
        exports = dict(l[len("export "):].split("=", 1) for l in printed if l.startswith("export "))
        assert exports["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        scan = subprocess.run(
            [sys.executable, "-m", "chalicelib.cli", "scan", "--json",
             "--endpoint-url", f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=600, env={**env, **exports})
        assert scan.returncode == 0, scan.stdout[-2000:] + scan.stderr[-2000:]
        assert "<html" not in scan.stdout + scan.stderr
        import json
        found = sorted((o["type"], o["region"], o["action"])
                       for o in map(json.loads, scan.stdout.splitlines()) if "action" in o)
        # Only the seeded non-EU resources: no moto public snapshot, no FAILED unit.
        assert found == [("AWS::S3::Bucket", "ap-southeast-1", "would-kill"),
                         ("AWS::S3::Bucket", "us-east-1", "would-kill"),
                         ("AWS::SQS::Queue", "ap-southeast-1", "would-kill"),
                         ("AWS::SQS::Queue", "us-east-1", "would-kill")]
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0


def test_a_port_in_use_is_one_line_and_exit_2():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "sandbox", "--port",
                               str(port)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"monocyte: cannot listen on 127.0.0.1:{port}: Address already in use"]
