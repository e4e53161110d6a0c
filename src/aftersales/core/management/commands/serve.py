"""``aftersales serve``: the Waitress server, and with ``--with-worker`` the job worker beside it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.wsgi import get_wsgi_application
from waitress import create_server

from aftersales.core.checks import static_files_not_collected

# How long the worker may take to finish the jobs it is running before it is interrupted.
WORKER_STOP_GRACE_SECONDS = 30


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM and SIGHUP into the same clean stop as Ctrl+C (the server's loop ends on it)."""
    raise KeyboardInterrupt


class WorkerProcess:
    """``aftersales worker`` as a child process: started, watched, and stopped gracefully.

    The child runs in its own process group, so that a Ctrl+C in the terminal reaches only this
    process, which then asks the worker exactly once to finish its running jobs and stop (a second
    interrupt would make the worker abandon them). If the worker exits on its own, the server is
    stopped too: a server without its worker would leave every job queued.
    """

    def __init__(self) -> None:
        self.stopping = False
        self.died_with: int | None = None
        command = [sys.executable, "-m", "aftersales", "worker"]
        if sys.platform == "win32":
            self.process = subprocess.Popen(command, creationflags=subprocess.CREATE_NEW_PROCESS_GROUP)  # noqa: S603
        else:
            self.process = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        threading.Thread(target=self._watch, name="worker-watch", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _watch(self) -> None:
        code = self.process.wait()
        if not self.stopping:
            self.died_with = code
            # The server's loop stops on the same signal as a service manager's stop request.
            signal.raise_signal(signal.SIGTERM)

    def stop(self) -> int:
        """Ask the worker to finish its running jobs and exit; interrupt it after the grace period."""
        self.stopping = True
        if self.process.poll() is not None:
            return self.process.returncode
        try:
            if sys.platform == "win32":
                self.process.terminate()
            else:
                self.process.send_signal(signal.SIGINT)
            return self.process.wait(timeout=WORKER_STOP_GRACE_SECONDS)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            self.process.terminate()
            try:
                return self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait()


class Command(BaseCommand):
    help = (
        "Serve the application with the Waitress WSGI server (static files through WhiteNoise); "
        "with --with-worker, also run the background job worker. Ctrl+C stops both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000, help="0 picks a free port.")
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Run the background job worker (aftersales worker) as a child process of the server. "
            "In production run 'aftersales worker' as a service of its own instead.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        missing = static_files_not_collected()
        if missing:
            raise CommandError(
                f"{len(missing)} of this version's static files are not collected (first: {missing[0]}), so pages "
                "would fail: run 'aftersales collectstatic --noinput' first."
            )
        server = create_server(
            get_wsgi_application(),  # what config.wsgi serves, built here rather than when this module loads
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            ident="aftersales",
            # Waitress drops X-Forwarded-* by default; behind a declared proxy the app reads them itself
            # (settings.TRUSTED_PROXIES). Its own limits (request line and headers 256 KB, body 1 GB) are
            # above the app's (REQUEST_URI_LIMIT_BYTES, the body limits), so the app answers those first.
            clear_untrusted_proxy_headers=not settings.TRUSTED_PROXIES,
        )
        signal.signal(signal.SIGTERM, _stop_on_signal)
        # Ctrl+C stops it even when started in the background of a script (a shell starts those with
        # SIGINT ignored, and Python leaves an ignored SIGINT ignored).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, _stop_on_signal)
        worker = None
        try:
            if options["with_worker"]:
                worker = WorkerProcess()
                self.stdout.write(f"The background worker runs as process {worker.pid}.")
            port = server.effective_port
            self.stdout.write(f"AfterSales is running at http://{options['host']}:{port}/ (Ctrl+C stops it)")
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.stopping = True  # from here on, the worker's exit is expected
            server.close()
            if worker is not None:
                if worker.process.poll() is None:
                    self.stdout.write("Stopping the background worker; it finishes the jobs it is running first…")
                code = worker.stop()
                if worker.died_with is None:
                    self.stdout.write(f"The background worker stopped (exit code {code}).")
        if worker is not None and worker.died_with is not None:
            raise CommandError(
                f"The background worker stopped unexpectedly (exit code {worker.died_with}), so the server was "
                "stopped too: without a worker no job would run. See the worker's messages above."
            )
        self.stdout.write("AfterSales stopped.")
