"""A clip cut into chunks of frames stylised in parallel on Ray actors, written in order by the driver.

Coherent video stylisation is sequential: each frame starts from the previous stylised frame. Chunks
that run at the same time cannot, so every chunk after the first starts `overlap` frames early. It
stylises those frames as a warm-up, the first of them from scratch with the full first-frame steps and
the rest coherently, so that its temporal state has settled by its first real frame. The warm-up
frames are not written as such: the previous chunk's last frames fade into them (`cross_fade`),
because the two chunks carry different stylisations of their own first frames and a plain cut from
one to the other jumps (measured in docs/video.md). Every chunk prepares its style targets from the clip's first frame, so all aim at
the same Gram targets (and the same colours under colour preservation). A warm-up's first frame starts
as the clip's first frame does (--init, the content by default): stylisation from the same start is
close to shift-equivariant, so a chunk starting on a frame the camera has moved to lands near where the
chunk before has carried its own start. Recolouring that start to the style's palette was measured
and made the seams far worse (docs/video.md).

The driver reads the frames, ships each chunk's frames (warm-up included) to a free actor, and writes
the stylised frames through one VideoWriter in clip order, so the output has the frame count and frame
rate of a run without Ray. Finished chunks wait on the driver until the chunks before them are
written. Actors, retries after a worker's death and shipping the code are those of the batch command
(`style_transfer.batch.distributed`). No TensorFlow on the driver: only the actors load the network.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from style_transfer.errors import UserInputError
from style_transfer.nst.config import DEFAULT_SIZE, StyleConfig
from style_transfer.video.defaults import INSETS

DEFAULT_OVERLAP = 4


@dataclass(frozen=True)
class Chunk:
    """Frames [start, end) of the clip (0 = its first frame read), stylised from `warm_start` on."""

    index: int
    warm_start: int
    start: int
    end: int

    @property
    def warm_up(self) -> int:
        return self.start - self.warm_start


def check_chunking(chunk_frames: int, overlap: int) -> None:
    if chunk_frames < 1:
        raise UserInputError(f"--chunk-frames must be a positive number of frames, got {chunk_frames}")
    if overlap < 0:
        raise UserInputError(f"--overlap must not be negative, got {overlap}")


def plan_chunks(count: int, chunk_frames: int, overlap: int = DEFAULT_OVERLAP) -> list[Chunk]:
    """The chunks of a clip of `count` frames: `chunk_frames` each (the last may be shorter), every one
    but the first warmed up on up to `overlap` frames before it."""
    check_chunking(chunk_frames, overlap)
    return [Chunk(i, max(0, s - overlap), s, min(count, s + chunk_frames))
            for i, s in enumerate(range(0, count, chunk_frames))]


WARM_STARTS = ("content", "style-palette")


def warm_start_image(frame, working_styles, mode) -> np.ndarray:
    """The start of a warm-up's first frame: the content with the colour mean and covariance of the
    working style images together (the Gram targets' colours). Started from the raw content, a
    chunk's first frames keep more of the content's colours than the frames before the seam, which by
    then have had many frames of steps towards the style."""
    from style_transfer.nst import color

    palette = np.concatenate([np.reshape(s, (-1, 1, 3)) for s in working_styles])
    return color.match_color_histogram(color.working_content(frame, mode), palette)


@dataclass
class ChunkResult:
    """What one actor sends back: the chunk's stylised frames (warm-up left out), their steps and
    seconds, the warm-up's seconds, and the style as an inset shows it."""

    index: int
    frames: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    warm_frames: list = field(default_factory=list)
    warm_up_seconds: float = 0.0
    shown_style: np.ndarray | None = None


def stylize_chunk(network, chunk: Chunk, frames, reference, styles, config: StyleConfig,
                  frame_options: dict, warm_start: str = "content") -> ChunkResult:
    """Stylise one chunk's `frames` (its warm-up frames first) next to the network, in a worker.

    `warm_start` is the start of a warm-up's first frame: 'content' (as the clip's first frame starts,
    from --init) or 'style-palette' (`warm_start_image`, kept to measure against)."""
    from style_transfer.nst.prepare import prepare
    from style_transfer.video.stylizer import FrameStylizer

    h, w = np.shape(frames[0])[:2]
    stylizer = FrameStylizer(network, styles, config, h, w, reference_frame=reference, **frame_options)
    out = ChunkResult(chunk.index)
    for i, frame in enumerate(frames):
        t0 = time.perf_counter()
        init = None
        if i == 0 and chunk.warm_up and warm_start == "style-palette":
            init = warm_start_image(frame, prepare(reference, styles, config).styles, config.preserve_color)
        stylised, steps = stylizer(frame, init=init)
        seconds = time.perf_counter() - t0
        if i < chunk.warm_up:
            out.warm_up_seconds += seconds
            out.warm_frames.append(stylised)
            continue
        out.frames.append(stylised)
        out.steps.append(steps)
        out.seconds.append(seconds)
    out.shown_style = np.asarray(stylizer.shown_style, np.uint8)
    return out


def cross_fade(frames, following_warm) -> list:
    """A chunk's frames with its last ones faded into the next chunk's warm-up frames of the same
    clip frames: weight (m + 1)/(w + 1) on the m-th of w warm-up frames. The two chunks' textures
    differ (each carries its own first frame's stylisation), so cutting from one to the other jumps;
    fading spreads that jump over the overlap. Warm-up frames that reach back past this chunk are
    left out."""
    frames = list(frames)
    w = len(following_warm)
    for m, warm in enumerate(following_warm):
        j = len(frames) - w + m
        if j >= 0:
            a = (m + 1) / (w + 1)
            frames[j] = np.clip(np.rint((1 - a) * frames[j].astype(np.float32) + a * warm.astype(np.float32)),
                                0, 255).astype(np.uint8)
    return frames


@dataclass
class ChunkedVideoResult:
    """What `stylize_video_chunks` produced. `seconds_per_frame` are the actors' seconds for each
    written frame; `wall_seconds` is the driver's clock from the first frame read to the file closed."""

    path: Path
    frames: int = 0
    size: tuple = (0, 0)
    fps: float = 0.0
    chunks: int = 0
    workers: int = 0
    wall_seconds: float = 0.0
    warm_up_seconds: float = 0.0
    seconds_per_frame: list = field(default_factory=list)
    steps_per_frame: list = field(default_factory=list)

    def summary(self) -> str:
        return (f"wrote {self.path}: {self.frames} frames {self.size[0]}×{self.size[1]} at {self.fps:g} fps, "
                f"coherent in {self.chunks} chunks on {self.workers} Ray workers, {self.wall_seconds:.1f} s wall "
                f"({sum(self.seconds_per_frame):.1f} s of frames and {self.warm_up_seconds:.1f} s of warm-up "
                f"on the workers)")


def _chunk_tasks(frames, chunk_frames: int, overlap: int, sources: dict):
    """(Chunk, its frames with the warm-up first) read lazily; each chunk's own source frames are kept
    in `sources` for the driver (insets, callbacks) until it writes them."""
    tail, start, index = [], 0, 0
    frames = iter(frames)
    while True:
        body = [f for _, f in zip(range(chunk_frames), frames)]
        if not body:
            return
        warm = tail  # the last `overlap` frames read, which may reach back over several chunks
        chunk = Chunk(index, start - len(warm), start, start + len(body))
        sources[index] = body
        yield chunk, warm + body
        tail = (tail + body)[-overlap:] if overlap else []
        start, index = chunk.end, index + 1


def stylize_video_chunks(source, styles, output, config: StyleConfig | None = None, *, chunk_frames: int,
                         overlap: int = DEFAULT_OVERLAP, workers: int | None = None, ssd_weights=None,
                         start: int = 0, end: int | None = None, skip: int = 1, size: int | None = DEFAULT_SIZE,
                         resize: tuple[int, int] | None = None, fps: float | None = None, inset: str = "none",
                         progress: bool = True, on_frame=None, warm_start: str = "content", blend: bool = True,
                         **frame_options) -> ChunkedVideoResult:
    """`stylize_video` on Ray: the clip in chunks of `chunk_frames` frames, each warmed up on `overlap`
    frames before it, on `workers` actors (default one per node). Joins Ray if this process has not
    (a local instance, shut down again at the end); the other arguments are `stylize_video`'s."""
    from style_transfer.batch.distributed import connect, default_workers, import_ray, run_on_actors, start_workers
    from style_transfer.figures.layout import add_inset
    from style_transfer.media.images import to_pil
    from style_transfer.media.video import VideoReader, VideoWriter

    check_chunking(chunk_frames, overlap)
    if inset not in INSETS:
        raise UserInputError(f"--inset must be one of {', '.join(INSETS)}, got {inset!r}")
    if warm_start not in WARM_STARTS:
        raise UserInputError(f"warm start must be one of {', '.join(WARM_STARTS)}, got {warm_start!r}")
    config = config or StyleConfig()
    styles = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    styles = [np.asarray(to_pil(s).convert("RGB")) for s in styles]
    output = Path(output)
    if frame_options.get("independent"):
        overlap = 0  # frames stylised from their own content have no state to settle
    ray = import_ray()
    started = connect("local")
    t0 = time.perf_counter()
    actors = []
    try:
        with VideoReader(source, start=start, end=end, skip=skip, size=size, resize=resize,
                         even=output.suffix.lower() == ".mp4") as reader:
            out_fps = float(fps) if fps else reader.fps / skip
            frames = iter(reader)
            first = next(frames)
            n = workers or default_workers()
            actors = start_workers(n, ssd_weights)
            shared = [ray.put(x) for x in (first, styles, config)]
            result = ChunkedVideoResult(path=output, size=reader.size, fps=out_fps, workers=n)
            sources, done = {}, {}
            tasks = _chunk_tasks(_chain(first, frames), chunk_frames, overlap, sources)
            with VideoWriter(output, out_fps, reader.size) as writer, \
                    tqdm(total=reader.count, desc="frames", unit="frame", disable=not progress) as bar:

                def write(res, following):
                    frames = res.frames if not blend or following is None else cross_fade(res.frames,
                                                                                           following.warm_frames)
                    for frame, stylised in zip(sources.pop(res.index), frames, strict=True):
                        writer.write(stylised if inset == "none" else add_inset(
                            stylised, frame if inset in ("content", "both") else None,
                            res.shown_style if inset in ("style", "both") else None))
                        if on_frame is not None:
                            on_frame(result.frames, frame, stylised)
                        result.frames += 1
                    result.seconds_per_frame += res.seconds
                    result.steps_per_frame += res.steps
                    result.warm_up_seconds += res.warm_up_seconds
                    result.chunks += 1
                    bar.update(len(res.frames))

                for (chunk, _), res, error in run_on_actors(
                        actors, tasks,
                        lambda actor, task: actor.apply.remote(stylize_chunk, task[0], task[1], *shared,
                                                               frame_options, warm_start),
                        lambda task: f"chunk {task[0].index} (frames {task[0].start}–{task[0].end - 1})"):
                    if error is not None:
                        raise RuntimeError(f"chunk {chunk.index} of the video failed: {error}")
                    done[chunk.index] = res
                    # a chunk is written once the next one is back: its last frames fade into the
                    # next chunk's warm-up frames
                    while result.chunks in done and result.chunks + 1 in done:
                        write(done.pop(result.chunks), done[result.chunks + 1])
                if result.chunks in done:
                    write(done.pop(result.chunks), None)
    finally:
        for actor in actors:
            ray.kill(actor, no_restart=True)
        if started:
            ray.shutdown()
    result.wall_seconds = time.perf_counter() - t0
    return result


def _chain(first, rest):
    yield first
    yield from rest
