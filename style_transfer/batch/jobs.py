"""Batch jobs: which images, which pairs, where each result goes, the manifest, and the driver loop.

The driver loop (`run_batch`) is the same with and without Ray: it lists the pairs, skips those whose
output exists, loads each content image once, hands (content, style) tasks to an executor and writes
every result itself, atomically, with one manifest line per image. Executors only turn a task into an
image: `local_executor` in this process, `style_transfer.batch.distributed.ray_executor` on Ray actors.
So skip-existing, naming, the manifest and the bytes written do not depend on where the work ran.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from style_transfer.errors import NonFiniteLossError, UserInputError
from style_transfer.media.formats import IMAGE_EXTENSIONS
from style_transfer.media.images import load_image, resize_longest, save_image

OUTPUT_FORMATS = ("png", "jpg", "webp")
PAIRINGS = ("all", "random")
MANIFEST_NAME = "manifest.jsonl"


@dataclass(frozen=True)
class Source:
    """An input image and its path relative to the folder (or glob base) it was found under."""

    path: Path
    rel: Path


@dataclass(frozen=True)
class Pair:
    """One job: stylise `content` with `style` into `output`."""

    content: Source
    style: Path
    output: Path


@dataclass
class Outcome:
    """What an executor returns for one task: the image (uint8 H×W×3) or why there is none."""

    image: np.ndarray | None = None
    seconds: float = 0.0
    final_loss: float = float("nan")
    error: str | None = None


@dataclass
class Counts:
    written: int = 0
    done: int = 0
    failed: int = 0
    failures: list = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.written} written, {self.done} already done, {self.failed} failed"


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def _glob_base(pattern: str) -> Path:
    """The leading folders of a glob pattern that hold no wildcard: matches mirror from there."""
    parts = Path(pattern).parts
    base = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        base.append(part)
    return Path(*base) if base else Path(".")


def _walk(folder: Path, exclude: Path | None):
    """Every file under `folder`, sorted, leaving out the subtree `exclude` (the output folder)."""
    for root, dirs, files in os.walk(folder):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if exclude is None or (root_path / d).resolve() != exclude)
        for name in sorted(files):
            yield root_path / name


def list_images(inputs, exclude=None) -> list[Source]:
    """Files, folders (recursively) and globs → image sources, in a stable order, each once.

    A folder's images keep their path below it and a glob's their path below its wildcard-free
    base, so outputs can mirror the input layout. Files whose extension is not an image's are left
    out silently; a path that does not exist, or a glob that matches nothing, is a UserInputError.
    `exclude` (the output folder) is never listed, so outputs are not taken for inputs on a rerun.
    """
    exclude = Path(exclude).resolve() if exclude is not None else None
    found: dict[Path, Source] = {}

    def add(path: Path, rel: Path) -> None:
        if is_image_name(path):
            found.setdefault(path.resolve(), Source(path, rel))

    def add_tree(folder: Path, rel_base: Path) -> None:
        if exclude is not None and folder.resolve() == exclude:
            raise UserInputError(f"the output folder {folder} is also an input folder; choose another -o")
        for file in _walk(folder, exclude):
            add(file, rel_base / file.relative_to(folder))

    for item in map(str, inputs):
        path = Path(item)
        if path.is_dir():
            add_tree(path, Path())
        elif path.is_file():
            add(path, Path(path.name))
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise UserInputError(f"no file matches '{item}'")
            base = _glob_base(item)
            for match in map(Path, matches):
                if exclude is not None and exclude in match.resolve().parents:
                    continue
                if match.is_dir():
                    add_tree(match, match.relative_to(base))
                else:
                    add(match, match.relative_to(base))
        else:
            raise UserInputError(f"no such file or folder: {item}")
    return list(found.values())


def pair_up(contents, styles, out_dir, fmt: str = "png", pairing: str = "all", seed: int | None = 0) -> list[Pair]:
    """Every content × every style, or (`random`) one style per content drawn with `seed`.

    Outputs are OUT_DIR/<content's folder below its input>/<content stem>__<style stem>.<fmt>. Two
    pairs that would write the same file are a UserInputError naming both.
    """
    if fmt not in OUTPUT_FORMATS:
        raise UserInputError(f"unknown output format '{fmt}' (choose from {', '.join(OUTPUT_FORMATS)})")
    if pairing not in PAIRINGS:
        raise UserInputError(f"unknown pairing '{pairing}' (choose from {', '.join(PAIRINGS)})")
    styles = [Path(s) for s in styles]
    if not styles:
        raise UserInputError("no style images")
    out_dir = Path(out_dir)
    rng = random.Random(seed)
    pairs, seen = [], {}
    for content in contents:
        chosen = styles if pairing == "all" else [rng.choice(styles)]
        for style in chosen:
            output = out_dir / content.rel.parent / f"{content.rel.stem}__{style.stem}.{fmt}"
            if output in seen:
                other = seen[output]
                raise UserInputError(f"{content.path} with {style} and {other.content.path} with {other.style} "
                                     f"would both be written to {output}; rename one or run them apart")
            seen[output] = pair = Pair(content, style, output)
            pairs.append(pair)
    return pairs


def settings_digest(config, size: int | None, network: str | None) -> str:
    """A short digest of everything besides the two pictures that decides an output's pixels."""
    key = {"config": config.key(), "size": size, "network": network}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Manifest:
    """OUT_DIR/manifest.jsonl: one JSON line per image written, appended as each finishes.

    Each line goes out in one write on a file opened for appending and is flushed at once, so an
    interrupted batch leaves whole lines for the images it finished.
    """

    def __init__(self, out_dir):
        self.path = Path(out_dir) / MANIFEST_NAME

    def append(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=True) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_content(path, size: int | None) -> np.ndarray:
    """A content image as uint8 H×W×3 at its working size (UserInputError if it cannot be read)."""
    return np.asarray(resize_longest(load_image(path), size), np.uint8)


def load_styles(paths) -> dict[Path, np.ndarray]:
    """Every style image as uint8 H×W×3, read once (a style that cannot be read stops the batch)."""
    return {Path(p): np.asarray(load_image(p), np.uint8) for p in paths}


def stylize_pair(network, content: np.ndarray, style: np.ndarray, config) -> Outcome:
    """Stylise one pair with a loaded network; a non-finite loss is this pair's failure, not the batch's."""
    from style_transfer.nst.engine import stylize

    try:
        result = stylize(content, [style], config, network, progress=False)
    except NonFiniteLossError as exc:
        return Outcome(error=str(exc))
    return Outcome(result.image, result.seconds, float(result.final_loss))


@dataclass
class Task:
    """A pair ready to run: its content decoded, its style named (executors hold the style images)."""

    pair: Pair
    content: np.ndarray


def local_executor(ssd_weights=None):
    """An executor running tasks in this process on one loss network, built at the first task.

    The same network object serves every task, so the engine's compiled steps are reused across
    images of one working shape.
    """
    state = {}

    def execute(tasks, styles, config):
        for task in tasks:
            if "network" not in state:
                from style_transfer.nst.network import default_network

                state["network"] = default_network(ssd_weights)
            yield task, stylize_pair(state["network"], task.content, styles[task.pair.style], config)

    return execute


def _say(line: str, bar) -> None:
    if bar is not None:
        bar.write(line, file=sys.stderr)
    else:
        print(line, file=sys.stderr)


def run_batch(pairs, config, *, size: int | None, out_dir, execute, digest: str = "", overwrite: bool = False,
              progress: bool = True) -> Counts:
    """Run `pairs` through `execute(tasks, styles, config)` and write each result; returns the counts.

    Outputs that exist are skipped unless `overwrite`. A content image that cannot be decoded is named
    in one line on stderr and its pairs count as failed; the batch goes on.
    """
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = Counts()
    todo = []
    for pair in pairs:
        if not overwrite and pair.output.exists():
            counts.done += 1
        else:
            todo.append(pair)
    manifest = Manifest(out_dir)
    styles = load_styles(dict.fromkeys(p.style for p in todo)) if todo else {}
    bar = tqdm(total=len(pairs), initial=counts.done, unit="image", desc="batch", file=sys.stderr,
               disable=not progress, dynamic_ncols=True) if todo else None

    def fail(pair: Pair, why: str) -> None:
        counts.failed += 1
        counts.failures.append((pair, why))
        if bar is not None:
            bar.update(1)

    def tasks():
        by_content: dict[Path, list[Pair]] = {}
        for pair in todo:
            by_content.setdefault(pair.content.path, []).append(pair)
        for path, group in by_content.items():
            try:
                content = load_content(path, size)
            except UserInputError as exc:
                _say(f"style-transfer: skipped: {exc}", bar)
                for pair in group:
                    fail(pair, str(exc))
                continue
            for pair in group:
                yield Task(pair, content)

    try:
        for task, outcome in execute(tasks(), styles, config):
            pair = task.pair
            if outcome.error is not None:
                _say(f"style-transfer: failed: {pair.content.path} with {pair.style}: {outcome.error}", bar)
                fail(pair, outcome.error)
                continue
            pair.output.parent.mkdir(parents=True, exist_ok=True)
            save_image(outcome.image, pair.output)
            manifest.append({"content": str(pair.content.path), "style": str(pair.style),
                             "output": str(pair.output), "seconds": round(outcome.seconds, 3),
                             "final_loss": outcome.final_loss, "settings": digest, "finished": time.time()})
            counts.written += 1
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return counts
