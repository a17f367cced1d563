"""Starts `tracekv serve` on a free port over a fresh store, and reads the store back through the CLI."""

import json
import os
import pathlib
import signal
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TRACEKV = os.environ.get("TRACEKV_BIN", str(ROOT / ".build" / "debug" / "tracekv"))
OTLP_DATA = ROOT / "Tests" / "TraceKVTests" / "OTLPData"
EXAMPLES = ROOT / "Examples" / "tracebrain"


def cli(store, *args, check=True):
    """Runs the CLI on `store` and returns the completed process."""
    result = subprocess.run([TRACEKV, "--store", str(store), *args], capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"tracekv {' '.join(args)} failed: {result.stderr}")
    return result


def cli_json(store, *args):
    """The CLI's --json output, parsed."""
    return json.loads(cli(store, *args, "--json").stdout)


class Server:
    """One `tracekv serve` process."""

    def __init__(self, store, *extra, env=None):
        self.store = store
        self.process = subprocess.Popen(
            [TRACEKV, "--store", str(store), "serve", "--port", "0", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.process.kill()
            raise AssertionError(f"no address printed: {line!r} {self.process.stderr.read()}")
        self.url = line.removeprefix("listening on ").strip()

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig` and returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=60)


@pytest.fixture
def store(tmp_path):
    return tmp_path / "server.tkv"


@pytest.fixture
def server(store):
    running = Server(store)
    yield running
    assert running.stop() == 0


def trace_ids(store):
    """Every trace id the store holds, via `tracekv list --json`."""
    listed = cli_json(store, "list", "--limit", "100000")
    return {trace["trace_id"] for trace in listed["traces"]}
