"""The batch executor on Ray: actors that each hold a loaded engine, tasks that are (content, style) pairs.

Only pixels and settings travel: each style image is put in the object store once, each content image
(decoded and resized by the driver) goes with its task, and the stylised uint8 image comes back. The
driver writes every file, so outputs, skip-existing and the manifest are those of an in-process run.

A worker process that dies mid-task takes its task with it: the driver puts the pair back at the head
of the queue, where the next free actor (another one, if any is free) takes it, while Ray restarts the
dead actor (`max_restarts`), which then rejoins the pool. A pair is given up after MAX_ATTEMPTS deaths.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from pathlib import Path

from style_transfer.batch.jobs import Outcome, stylize_pair
from style_transfer.errors import UserInputError

INSTALL_HINT = "--ray needs Ray: pip install 'ssd-style-transfer[ray]'"
NAMESPACE = "style-transfer"
ACTOR_NAME = "style-transfer-batch-{}"
MAX_RESTARTS = 3
MAX_ATTEMPTS = 3
PING_INTERVAL = 0.25  # seconds between asking a restarting actor whether it is back


def import_ray():
    try:
        import ray
    except ImportError:
        raise UserInputError(INSTALL_HINT) from None
    return ray


def code_modules() -> list:
    """The package the workers must import, shipped from this driver so both run the same code, in
    the installed layout (the networks inside it as `_models`): from a source checkout that layout is
    staged in a temporary folder, since the workers have no checkout to find models/ beside it.
    Given as a folder: importing the networks here would load TensorFlow into the driver for nothing."""
    import atexit
    import shutil
    import tempfile

    import style_transfer

    package = Path(style_transfer.__file__).resolve().parent
    if (package / "_models" / "__init__.py").is_file():
        return [str(package)]
    stage = Path(tempfile.mkdtemp(prefix="style_transfer_ray.")) / "style_transfer"
    atexit.register(shutil.rmtree, stage.parent, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(package, stage, ignore=ignore)
    shutil.copytree(style_transfer.models_dir(), stage / "_models", ignore=ignore)
    return [str(stage)]


def connect(address: str = "local", num_cpus: int | None = None):
    """Start a Ray instance on this machine (`local`) or join the cluster at `address`.

    Returns True when this call started Ray (the caller then shuts it down). The dashboard is left
    out and worker logs stay off the terminal so the batch's own progress bar is all that shows.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    runtime_env = {"py_modules": code_modules(),
                   "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}}
    kwargs = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                  runtime_env=runtime_env, namespace=NAMESPACE)
    if address == "local":
        ray.init(num_cpus=num_cpus or os.cpu_count(), **kwargs)
    else:
        kwargs.pop("include_dashboard")
        try:
            ray.init(address=address, **kwargs)
        except ConnectionError as exc:
            raise UserInputError(f"cannot join the Ray cluster at {address}: {exc}") from None
    return True


class StyleWorker:
    """One engine: the loss network built once in this worker process, reused for every pair.

    Two calls may run at once so that `pid` answers while `run` is busy; the driver never sends
    a second `run` before the first has returned.
    """

    def __init__(self, ssd_weights=None):
        from style_transfer.nst.network import default_network

        self.network = default_network(ssd_weights)

    def pid(self) -> int:
        return os.getpid()

    def run(self, content, style, config) -> Outcome:
        return stylize_pair(self.network, content, style, config)

    def apply(self, fn, *args):
        """`fn(network, *args)`: other features (video chunks) reuse the loaded engine. `fn` is a
        module-level function, so Ray sends it by name and the worker imports the shipped code."""
        return fn(self.network, *args)


def start_workers(n: int, ssd_weights=None, cpus_per_worker: float = 1):
    """`n` named actors (named so that tools and tests can find them in the `style-transfer` namespace)."""
    ray = import_ray()
    remote = ray.remote(num_cpus=cpus_per_worker, max_restarts=MAX_RESTARTS, max_task_retries=0,
                        max_concurrency=2)(StyleWorker)
    actors = [remote.options(name=ACTOR_NAME.format(i), lifetime=None).remote(
        str(ssd_weights) if ssd_weights else None) for i in range(n)]
    return actors


def default_workers() -> int:
    """One engine per live node: TensorFlow already spreads one image over a machine's cores."""
    ray = import_ray()
    return max(1, sum(1 for node in ray.nodes() if node.get("Alive")))


def note(line: str) -> None:
    """One line on stderr that leaves the batch's progress bar intact."""
    from tqdm.auto import tqdm

    tqdm.write(line, file=sys.stderr)


def run_on_actors(actors, tasks, submit, describe):
    """Run `tasks` on `actors`, one task per actor at a time, as the actors free up.

    `submit(actor, task)` starts a task and returns its result ref; `describe(task)` names it in the
    line printed when its worker dies. Yields (task, result, None) as results come back (in the order
    they finish), or (task, None, error) for a task given up after MAX_ATTEMPTS worker deaths. A dead
    actor is pinged until Ray has restarted it, then rejoins the pool.
    """
    ray = import_ray()
    from ray.exceptions import ActorDiedError, RayActorError

    idle = deque(actors)
    retry = deque()
    attempts = {}  # id(task) → deaths; a retried task stays referenced, so its id stays its own
    running = {}  # task's result ref → (actor, task)
    pings = {}  # ref of pid() on an actor that lost its process → actor, until it answers again
    source = iter(tasks)
    exhausted = False
    while True:
        while idle and (retry or not exhausted):
            if retry:
                task = retry.popleft()
            else:
                task = next(source, None)
                if task is None:
                    exhausted = True
                    break
            actor = idle.popleft()
            running[submit(actor, task)] = (actor, task)
        if not running and (exhausted and not retry):
            return
        if not running and not pings:
            raise RuntimeError("every Ray worker has died")
        (ref,), _ = ray.wait([*running, *pings], num_returns=1)
        if ref in pings:
            # A restarting actor refuses calls at once; it rejoins the pool only once it
            # answers, so that retried tasks go to live actors instead of failing again.
            actor = pings.pop(ref)
            try:
                ray.get(ref)
                idle.append(actor)
            except ActorDiedError:
                pass  # out of restarts: the pool goes on without it
            except RayActorError:
                time.sleep(PING_INTERVAL)
                pings[actor.pid.remote()] = actor
            continue
        actor, task = running.pop(ref)
        try:
            result = ray.get(ref)
        except RayActorError as exc:
            key = id(task)
            attempts[key] = attempts.get(key, 0) + 1
            note(f"style-transfer: a Ray worker died running {describe(task)}; "
                 + ("giving up" if attempts[key] >= MAX_ATTEMPTS else "retrying"))
            pings[actor.pid.remote()] = actor
            if attempts[key] >= MAX_ATTEMPTS:
                yield task, None, f"its worker died {attempts[key]} times ({type(exc).__name__})"
            else:
                retry.append(task)
            continue
        idle.append(actor)
        yield task, result, None


def ray_executor(workers: int | None = None, ssd_weights=None):
    """An executor that runs tasks on `workers` Ray actors (default: one per node) as they free up."""

    def execute(tasks, styles, config):
        ray = import_ray()
        n = workers or default_workers()
        actors = start_workers(n, ssd_weights)
        style_refs = {path: ray.put(image) for path, image in styles.items()}
        config_ref = ray.put(config)
        try:
            for task, outcome, error in run_on_actors(
                    actors, tasks,
                    lambda actor, task: actor.run.remote(task.content, style_refs[task.pair.style], config_ref),
                    lambda task: f"{task.pair.content.path} with {task.pair.style}"):
                yield task, (outcome if error is None else Outcome(error=error))
        finally:
            for actor in actors:
                ray.kill(actor, no_restart=True)

    return execute
