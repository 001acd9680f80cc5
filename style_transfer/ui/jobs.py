"""One stylisation at a time, in a worker thread that a web request can watch and cancel.

Gradio streams a generator's yields to the page and cancels it by closing the generator, which it
can only do while the generator waits at a `yield`. The engine, though, runs for minutes inside one
call, reporting through a callback. So the work runs in a thread of its own; the generator reads what
it reports from a queue, yields at least every `idle` seconds (so a cancel is never kept waiting),
and on close tells the thread to stop at its next report and waits for it.
"""
from __future__ import annotations

import queue
import threading

# The engine shares its compiled (loss, optimiser) pairs between callers of one loss network, and
# seeds TensorFlow globally: two runs at once would mix their images. Gradio's queue already runs one
# stylising event at a time; this lock also covers a cancelled run still unwinding when the next starts.
ENGINE_LOCK = threading.Lock()


class Cancelled(Exception):
    """Raised inside the worker thread at its next report once the watcher has gone."""


class Job:
    """Runs `work(report)` in a thread. `report(item)` hands an item to the watcher (None only checks
    for cancellation); iterate `events()` to watch, `stop()` to cancel and wait."""

    def __init__(self, work, name: str = "stylise"):
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work) -> None:
        try:
            with ENGINE_LOCK:
                if self._stop.is_set():
                    raise Cancelled
                result = work(self.report)
        except Cancelled:
            self._queue.put(("cancelled", None))
        except BaseException as exc:  # handed to the watcher, which raises it in the request
            self._queue.put(("error", exc))
        else:
            self._queue.put(("done", result))

    def report(self, item=None) -> None:
        if self._stop.is_set():
            raise Cancelled
        if item is not None:
            self._queue.put(("item", item))

    def events(self, idle: float = 0.5):
        """Yield ("items", [item, ...]) with everything reported since the last yield, ("idle", None)
        after `idle` seconds without news, and last ("done", result). The worker's exception is
        raised here."""
        while True:
            try:
                kind, value = self._queue.get(timeout=idle)
            except queue.Empty:
                yield "idle", None
                continue
            items = []
            # a slow page must not fall behind: everything already waiting goes out in one yield
            while kind == "item":
                items.append(value)
                try:
                    kind, value = self._queue.get_nowait()
                except queue.Empty:
                    kind = None
            if items:
                yield "items", items
            if kind == "error":
                raise value
            if kind == "cancelled":
                return
            if kind == "done":
                yield "done", value
                return

    def stop(self) -> None:
        """Ask the worker to stop at its next report and wait until it has."""
        self._stop.set()
        self._thread.join()
