"""``aftersales serve --with-worker`` as the run command starts it: real processes, a real port."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

DEADLINE_SECONDS = 60


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a fresh local install: its own SQLite database and job queue, migrated."""
    data_dir = tmp_path_factory.mktemp("served")
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "AFTERSALES_DATA_DIR": str(data_dir),
        "AFTERSALES_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "aftersales", "migrate", "--noinput"], env=env, check=True, capture_output=True
    )
    return env


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    port: int = 0
    worker_pid: int = 0

    def lines(self) -> list[str]:
        return self.out.read_text(encoding="utf-8").splitlines()

    def health(self) -> dict[str, object]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/health", timeout=5) as response:
            return dict(json.load(response))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def served(environment: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    """The server with its worker, once the worker has beaten (health ok); both killed if a test left them."""
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "aftersales", "serve", "--with-worker", "--port", "0"],
            env=environment,
            stdout=stdout,
            stderr=stderr,
        )
    served = Served(process, out, err)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            assert process.poll() is None, err.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the server and its worker did not come up in time"
            text = out.read_text(encoding="utf-8")
            started = re.search(r"worker runs as process (\d+)\.\n.*127\.0\.0\.1:(\d+)/", text)
            if started:
                served.worker_pid, served.port = int(started.group(1)), int(started.group(2))
                with suppress(OSError):
                    if served.health()["status"] == "ok":
                        break
            time.sleep(0.1)
        yield served
    finally:
        for pid in (process.pid, served.worker_pid):
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.wait()


def _wait_for_exit(served: Served) -> int:
    try:
        return served.process.wait(timeout=DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail("the server did not stop in time")


def test_ctrl_c_stops_the_server_and_its_worker(served: Served) -> None:
    body = served.health()
    assert (body["status"], body["reasons"], body["database"]) == ("ok", [], True)
    assert _alive(served.worker_pid)

    served.process.send_signal(signal.SIGINT)

    assert _wait_for_exit(served) == 0
    # The server waited for its worker, so the worker is gone, not a zombie.
    assert not _alive(served.worker_pid)
    assert served.lines() == [
        f"The background worker runs as process {served.worker_pid}.",
        f"AfterSales is running at http://127.0.0.1:{served.port}/ (Ctrl+C stops it)",
        "Stopping the background worker; it finishes the jobs it is running first…",
        "The background worker stopped (exit code 0).",
        "AfterSales stopped.",
    ]
    assert "Consumer exiting." in served.err.read_text(encoding="utf-8")


def test_a_worker_that_dies_stops_the_server_loudly(served: Served) -> None:
    os.kill(served.worker_pid, signal.SIGKILL)

    assert _wait_for_exit(served) == 1
    assert served.err.read_text(encoding="utf-8").splitlines()[-1] == (
        "CommandError: The background worker stopped unexpectedly (exit code -9), so the server was stopped too: "
        "without a worker no job would run. See the worker's messages above."
    )
    assert served.lines()[-1] == f"AfterSales is running at http://127.0.0.1:{served.port}/ (Ctrl+C stops it)"
    with pytest.raises(OSError):
        served.health()
