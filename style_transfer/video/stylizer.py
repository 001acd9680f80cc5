"""Video stylisation with temporal coherence (Ruder et al. 2016), streamed frame by frame.

`FrameStylizer` holds the per-frame state. The first frame starts from its content and gets more
steps; every later frame starts from the previous *stylised* frame warped by the optical flow of the
original frames, and the loss adds a temporal term pulling it towards that warped frame wherever the
forward and backward flow agree. Later frames take smaller Adam steps (`later_lr`, default 0.3 × lr):
Adam starts each frame afresh and its first steps move every pixel by about lr whatever the gradient,
which is what flickers. Unlike the paper, pixels the flow cannot follow start from the content
recoloured to the previous stylised frame's palette. `independent=True` stylises every frame from
its own content (for comparison). Both roles use the engine's compiled steps, built once per shape.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from style_transfer.errors import UserInputError
from style_transfer.media.video import VideoReader, VideoWriter
from style_transfer.nst import balance, color
from style_transfer.nst.config import StyleConfig
from style_transfer.nst.config import DEFAULT_SIZE
from style_transfer.nst.engine import begin, compiled
from style_transfer.nst.optimizer import to_uint8
from style_transfer.nst.prepare import finish, initial_image, prepare
from style_transfer.video.defaults import (DEFAULT_FIRST_FRAME_STEPS, DEFAULT_STEPS_PER_FRAME,
                                           DEFAULT_TEMPORAL_WEIGHT, INSETS, LATER_LR_FACTOR)
from style_transfer.video.flow import FLOW_METHODS, warp_with_mask



@dataclass
class VideoResult:
    """What `stylize_video` produced: output path, frame count, size, fps and per-frame timings."""

    path: Path
    frames: int = 0
    size: tuple = (0, 0)
    fps: float = 0.0
    seconds_per_frame: list = field(default_factory=list)
    steps_per_frame: list = field(default_factory=list)
    independent: bool = False

    @property
    def seconds(self) -> float:
        return float(sum(self.seconds_per_frame))

    @property
    def mean_seconds_per_frame(self) -> float:
        return self.seconds / max(1, self.frames)

    def summary(self) -> str:
        """One line: frames, size, time, seconds per frame."""
        mode = "independent" if self.independent else "coherent"
        later = self.seconds_per_frame[1:]
        later_s = f", {np.mean(later):.2f} s/frame after the first" if later else ""
        return (f"wrote {self.path}: {self.frames} frames {self.size[0]}×{self.size[1]} at {self.fps:g} fps, "
                f"{mode}, {self.seconds:.1f} s ({self.mean_seconds_per_frame:.2f} s/frame{later_s})")


class FrameStylizer:
    """Stylises the frames of one clip in order, keeping what the next frame needs.

    `config` gives the loss weights, lr and artistic controls (its `steps` is ignored for
    `first_frame_steps` / `steps_per_frame`); video always uses Adam at full size: each frame continues
    from a good start with few steps, and the later frames' lower learning rate is what keeps them from
    flickering (docs/video.md). Style targets are prepared from the first frame and stay fixed;
    `reference_frame` prepares them from that frame instead (a chunk of a clip passes the clip's first
    frame, so every chunk aims at the same targets, colour preservation included).
    """

    def __init__(self, network, styles, config: StyleConfig, height: int, width: int, *,
                 steps_per_frame: int = DEFAULT_STEPS_PER_FRAME, first_frame_steps: int = DEFAULT_FIRST_FRAME_STEPS,
                 temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT, later_lr: float | None = None,
                 independent: bool = False, flow_method: str = "dis", reference_frame=None):
        if flow_method not in FLOW_METHODS:
            raise UserInputError(f"flow method must be one of {', '.join(FLOW_METHODS)}, got {flow_method!r}")
        if steps_per_frame < 1 or first_frame_steps < 1:
            raise UserInputError("steps per frame and first-frame steps must be positive")
        if temporal_weight < 0:
            raise UserInputError(f"temporal weight must not be negative, got {temporal_weight}")
        self.styles, self.config = list(styles), config
        self.steps_per_frame, self.first_frame_steps = steps_per_frame, first_frame_steps
        self.independent, self.flow_method = independent, flow_method
        self.network = begin(config, network)
        self.shape, self.temporal_weight = (height, width), temporal_weight
        self.later_lr = float(later_lr) if later_lr else LATER_LR_FACTOR * config.lr
        self.first = self.later = None  # compiled on the first frame, once the balance of the pair is known
        self.prep = None
        self.reference = reference_frame
        self.prev_frame = self.prev_working = None

    def __call__(self, frame, init=None) -> tuple[np.ndarray, int]:
        """(stylised uint8 frame, steps taken) for the next frame (H×W×3, 0–255) of the clip.

        `init` replaces the start image of a frame stylised from scratch (the first, or any with
        `independent`), in the optimiser's space (0–255, luminance mode: grey)."""
        mode = self.config.preserve_color
        if self.prep is None:
            self.prep = prepare(frame if self.reference is None else self.reference, self.styles, self.config)
            self._compile(balance.resolve(self.config, self.network, self.prep.content, self.prep.styles))
            for loss, _ in {id(r): r for r in (self.first, self.later)}.values():
                loss.set_style(self.prep.styles, self.config.style_blend)
        content = color.working_content(frame, mode)
        if self.independent or self.prev_frame is None:
            (loss, optimizer), steps = self.first, (self.steps_per_frame if self.independent
                                                    else self.first_frame_steps)
            if init is None:
                init = self.prep.init if self.prev_frame is None and self.reference is None else color.working_init(
                    initial_image(self.config.init, frame, self.prep.shown_styles, self.config.seed), mode)
        else:
            (loss, optimizer), steps = self.later, self.steps_per_frame
            warped, mask = warp_with_mask(frame, self.prev_frame, self.prev_working, self.flow_method)
            loss.set_temporal(warped, mask)
            fresh = color.match_color_histogram(content, self.prev_working)
            init = mask[..., None] * warped + (1.0 - mask[..., None]) * fresh
        loss.set_content(content)
        working = to_uint8(optimizer.run(init, steps, lambda i, values: False))
        self.prev_frame, self.prev_working = frame, working.astype(np.float32)
        return finish(working, frame, self.config), steps

    def _compile(self, config: StyleConfig) -> None:
        """The first frame's and the later frames' (loss, optimiser) pairs; the later ones add the
        temporal term and take smaller steps."""
        base = config.replace(optimizer="adam", scales=((1.0, None),), temporal_weight=0.0)
        self.first = self.later = compiled(self.network, base, *self.shape)
        if not self.independent:
            self.later = compiled(self.network, base.replace(lr=self.later_lr, temporal_weight=self.temporal_weight),
                                  *self.shape)

    @property
    def shown_style(self) -> np.ndarray:
        """The style as the inset shows it: the scaled style, or the blended styles in a column."""
        from style_transfer.figures.layout import column_thumbnail

        shown = self.prep.shown_styles
        return shown[0] if len(shown) == 1 else np.asarray(column_thumbnail(shown, shown[0].shape[1::-1]),
                                                          np.float32)


def stylize_video(source, styles, output, config: StyleConfig | None = None, network=None, *,
                  start: int = 0, end: int | None = None, skip: int = 1, size: int | None = DEFAULT_SIZE,
                  resize: tuple[int, int] | None = None, fps: float | None = None, inset: str = "none",
                  progress: bool = True, on_frame=None, **frame_options) -> VideoResult:
    """Stylise video `source` with `styles` (H×W×3 arrays or PIL images) into `output` (.gif or .mp4).

    Frames [start, end) every `skip`-th are read, scaled (`resize`=(W, H) exactly, else longest side
    `size`), stylised by a FrameStylizer (`frame_options`: steps_per_frame, first_frame_steps,
    temporal_weight, later_lr, independent, flow_method) and written one at a time. The output keeps the
    source fps divided by `skip` unless `fps` is given. `on_frame(index, source_frame, stylised)` is
    called for every frame.
    """
    from style_transfer.figures.layout import add_inset

    if inset not in INSETS:
        raise UserInputError(f"--inset must be one of {', '.join(INSETS)}, got {inset!r}")
    config = config or StyleConfig()
    styles = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    output = Path(output)
    with VideoReader(source, start=start, end=end, skip=skip, size=size, resize=resize,
                     even=output.suffix.lower() == ".mp4") as reader:
        out_fps = float(fps) if fps else reader.fps / skip
        width, height = reader.size
        stylizer = FrameStylizer(network, styles, config, height, width, **frame_options)
        result = VideoResult(path=output, size=reader.size, fps=out_fps, independent=stylizer.independent)
        with VideoWriter(output, out_fps, reader.size) as writer, \
                tqdm(reader, total=reader.count, desc="frames", unit="frame", disable=not progress) as bar:
            for i, frame in enumerate(bar):
                t0 = time.perf_counter()
                stylised, steps = stylizer(frame)
                writer.write(stylised if inset == "none" else add_inset(
                    stylised, frame if inset in ("content", "both") else None,
                    stylizer.shown_style if inset in ("style", "both") else None))
                if on_frame is not None:
                    on_frame(i, frame, stylised)
                result.seconds_per_frame.append(time.perf_counter() - t0)
                result.steps_per_frame.append(steps)
                result.frames += 1
                bar.set_postfix(steps=steps, s_per_frame=f"{result.seconds_per_frame[-1]:.2f}")
    return result
