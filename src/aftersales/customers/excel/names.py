"""The search keys of customers' names worked out by a helper process while the rows are checked.

A name's keys (``search.customer_keys`` without number and mobiles) need its pinyin, about 0.1 ms a
name, the largest single cost of saving a big import: 100,000 rows with 60,000 distinct names spend
about 4 s on it. The row checks keep this process busy and need nothing from those keys, so the
names go, as they are found, to a helper process that works their keys out on the other core; the
keys are collected when saving starts.

The helper runs ``search.customer_keys`` itself (the module needs only pypinyin, no Django) in a
fresh interpreter of this one, and talks over its standard input and output: one pickled list of
names in, one pickled list of their keys out, in order (kept pickled until saving starts: about a
tenth of the memory). Whatever goes wrong with it (it cannot start, dies, or hangs) only means
that the keys it did not deliver are worked out here, as before. Small files do without it: below
``START_AFTER`` distinct names starting it costs more than it saves. It takes about 100 MB (an
interpreter with pypinyin's dictionaries) while it runs.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import queue
import subprocess
import sys
import threading
from typing import IO

logger = logging.getLogger(__name__)

_HELPER = """
import os, pickle, resource, sys
from aftersales.customers.search import customer_keys


def peak_kib():
    # VmHWM: ru_maxrss would also count the parent's memory, which the child shared until its exec.
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


source, target = sys.stdin.buffer, sys.stdout.buffer
try:
    while True:
        try:
            names = pickle.load(source)
        except EOFError:  # every list answered: last, the helper's peak memory (KiB)
            pickle.dump(peak_kib(), target)
            target.flush()
            break
        keys = [customer_keys(number="", name=name, mobiles=()) for name in names]
        pickle.dump(pickle.dumps(keys, protocol=pickle.HIGHEST_PROTOCOL), target)
        target.flush()
except BrokenPipeError:  # the answers are no longer wanted
    pass
os._exit(0)
"""

Keys = list[tuple[str, str]]


class NameKeys:
    """Names handed to a helper process as they are found; their search keys collected later.

    Two threads talk to the helper, one writing the names and one reading the keys, so that neither
    this process nor the helper ever waits for the other to make room in a pipe.
    """

    START_AFTER = 2_000  # distinct names before the helper is started
    WAIT_SECONDS = 120.0  # at most, for the helper to answer once every name is sent

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.pending: list[str] = []
        self.sent: list[list[str]] = []
        self.received: list[bytes] = []  # the helper's answers, still pickled
        self.peak_kib = 0  # the helper's peak resident memory, as it reports it at the end
        self.outbox: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()
        self.process: subprocess.Popen[bytes] | None = None
        self.threads: list[threading.Thread] = []
        self.failed = False

    def add(self, name: str) -> None:
        """Note a customer's name (each distinct name is sent once)."""
        if name not in self.seen:
            self.seen.add(name)
            self.pending.append(name)

    def send(self) -> None:
        """Hand the names noted since the last call to the helper, starting it once there are enough."""
        if self.failed or not self.pending or (self.process is None and len(self.seen) < self.START_AFTER):
            return
        if self.process is None and not self._start():
            return
        self.outbox.put(self.pending)
        self.sent.append(self.pending)
        self.pending = []

    def collect(self) -> dict[str, Keys]:
        """The keys the helper delivered, by name (``search.customer_keys(number="", name=name, mobiles=())``).

        Names it did not deliver are missing; the caller works them out itself.
        """
        if self.process is None:
            return {}
        self.outbox.put(None)  # the helper ends once it has answered every list
        reader = self.threads[-1]
        reader.join(self.WAIT_SECONDS)
        if reader.is_alive():
            logger.warning("The name-keys helper did not answer in time; the rest are worked out in-process.")
        self.close()
        found: dict[str, Keys] = {}
        for names, answer in zip(self.sent, self.received, strict=False):
            keys = pickle.loads(answer)  # noqa: S301 - written by our own helper process
            if len(keys) == len(names):
                found.update(zip(names, keys, strict=True))
        logger.info(
            "Name keys of %d of %d names worked out by the helper process (peak memory %d MB).",
            len(found),
            len(self.seen),
            self.peak_kib >> 10,
            extra={"helper_peak_mb": self.peak_kib >> 10},
        )
        return found

    def close(self) -> None:
        """End the helper: one that has answered everything is waited for, one still at work is killed."""
        if self.process is None:
            return
        self.outbox.put(None)
        answered = not self.threads[-1].is_alive()
        try:
            self.process.wait(timeout=5 if answered else 0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for thread in self.threads:
            thread.join()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def _start(self) -> bool:
        try:
            self.process = subprocess.Popen(  # noqa: S603 - this interpreter running our own code
                [sys.executable, "-c", _HELPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
        except (OSError, ValueError, TypeError):  # TypeError: no interpreter path (sys.executable is None)
            logger.warning("The name-keys helper could not start; names are worked out in-process.")
            self.failed = True
            return False
        self.threads = [
            threading.Thread(target=self._write, args=(self.process.stdin,), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True),
        ]
        for thread in self.threads:
            thread.start()
        return True

    def _write(self, stream: IO[bytes]) -> None:
        try:
            while (names := self.outbox.get()) is not None:
                pickle.dump(names, stream, protocol=pickle.HIGHEST_PROTOCOL)
                stream.flush()
        except OSError:
            logger.warning("The name-keys helper stopped taking names; the rest are worked out in-process.")
        finally:
            with contextlib.suppress(OSError):
                stream.close()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            try:
                keys = pickle.load(stream)  # noqa: S301 - written by our own helper process
            except Exception:  # noqa: BLE001 - end of the answers, or a broken helper: what arrived is kept
                return
            if isinstance(keys, int):
                self.peak_kib = keys
            elif isinstance(keys, bytes):
                self.received.append(keys)
