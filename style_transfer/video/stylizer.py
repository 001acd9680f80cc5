"""Video stylisation with temporal coherence (Ruder et al. 2016), streamed frame by frame.

One `StyleTrainer` is built for the clip's frame shape, so its optimisation step
compiles once. The first frame starts from its content and gets more steps; every
later frame starts from the previous *stylised* frame warped by the optical flow of
the original frames, and the loss adds a temporal term pulling it towards that warped
frame wherever the forward and backward flow agree. Later frames take smaller Adam
steps (`later_lr`, default 0.3 × lr): Adam starts each frame afresh and its first
steps move every pixel by about lr whatever the gradient, which is what flickers.
`independent=True` stylises every frame from its own content instead (for comparison).
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from style_transfer.errors import UserInputError
from style_transfer.figures.layout import add_inset
from style_transfer.video.flow import FLOW_METHODS, warp_with_mask
from style_transfer.media.images import is_path, load_image
from style_transfer.media.video import VideoReader, VideoWriter, check_video_output

DEFAULT_STEPS_PER_FRAME = 10
DEFAULT_FIRST_FRAME_STEPS = 60
DEFAULT_TEMPORAL_WEIGHT = 1e7
LATER_LR_FACTOR = 0.3  # later frames start stylised: smaller Adam steps, less flicker
INSETS = ("content", "style", "both", "none")
_TRAINER_CACHE_SIZE = 4
_trainers: "OrderedDict[tuple, tuple]" = OrderedDict()


def _trainer(extractor, settings, height: int, width: int):
    """A StyleTrainer for this extractor, settings and frame shape, reused across calls.

    Building one traces and compiles its step; clips of one shape (and the independent
    and coherent runs of one clip) share it. Targets are set afresh by every user.
    """
    from dataclasses import astuple

    from style_transfer.nst.optimizer import StyleTrainer

    key = (id(extractor), astuple(settings), height, width)
    hit = _trainers.get(key)
    if hit is not None and hit[0] is extractor:
        _trainers.move_to_end(key)
        return hit[1]
    trainer = StyleTrainer(extractor, settings, height, width)
    _trainers[key] = (extractor, trainer)
    while len(_trainers) > _TRAINER_CACHE_SIZE:
        _trainers.popitem(last=False)
    return trainer


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


def stylize_video(source, style, output, *, settings=None, steps_per_frame: int = DEFAULT_STEPS_PER_FRAME,
                  first_frame_steps: int = DEFAULT_FIRST_FRAME_STEPS,
                  temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT, later_lr: float | None = None,
                  independent: bool = False,
                  start: int = 0, end: int | None = None, skip: int = 1, size: int | None = 320,
                  resize: tuple[int, int] | None = None, fps: float | None = None, inset: str = "none",
                  flow_method: str = "dis", extractor=None, ssd_weights=None, seed: int | None = 0,
                  controls=None, progress: bool = True, on_frame=None) -> VideoResult:
    """Stylise video `source` with `style` and write `output` (.gif or .mp4); one call per clip.

    `style` is one image (path, PIL image or array) or a list of them, blended by
    `controls.style_blend` (equal weights by default). `controls` (style_transfer.nst.controls:
    TV weight, colour preservation, style scale, init of the first frame, layers, preset,
    seed) apply to every frame; colour targets are taken from the first frame so they
    stay fixed over the clip. Frames [start, end) every `skip`-th are read, scaled
    (`resize`=(W, H) exactly, else longest side `size`), stylised and written one at a
    time. The output keeps the source fps divided by `skip` (real-time playback) unless
    `fps` is given. `settings` (StyleSettings) gives lr and loss weights; its `steps` is
    ignored in favour of `first_frame_steps` / `steps_per_frame`; frames after the first
    use `later_lr` (default 0.3 × settings.lr) in coherent mode. `on_frame(index,
    source_frame, stylised)` is called for every frame (e.g. to measure, or to show).
    Returns a VideoResult with the output path and per-frame timings.
    """
    from dataclasses import replace

    from style_transfer.nst import color
    from style_transfer.nst.controls import Controls, finish, initial_image, make_reproducible, prepare
    from style_transfer.figures.layout import column_thumbnail
    from style_transfer.nst.optimizer import StyleSettings

    if inset not in INSETS:
        raise UserInputError(f"--inset must be one of {', '.join(INSETS)}, got {inset!r}")
    if flow_method not in FLOW_METHODS:
        raise UserInputError(f"flow method must be one of {', '.join(FLOW_METHODS)}, got {flow_method!r}")
    if steps_per_frame < 1 or first_frame_steps < 1:
        raise UserInputError("steps per frame and first-frame steps must be positive")
    if temporal_weight < 0:
        raise UserInputError(f"temporal weight must not be negative, got {temporal_weight}")
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    controls = controls or Controls(seed=seed)
    if controls.style_blend is not None and len(controls.style_blend) != len(styles):
        raise UserInputError(f"--style-blend has {len(controls.style_blend)} weights but there are "
                             f"{len(styles)} style images")
    output = check_video_output(output, [source] + [s for s in styles if is_path(s)])
    styles = [load_image(s) if is_path(s) else s for s in styles]
    mode = controls.preserve_color
    reader = VideoReader(source, start=start, end=end, skip=skip, size=size, resize=resize,
                         even=output.suffix.lower() == ".mp4")
    with reader:
        out_fps = float(fps) if fps else reader.fps / skip
        if out_fps <= 0:
            raise UserInputError(f"fps must be positive, got {out_fps}")
        width, height = reader.size
        if extractor is None:
            from style_transfer.api import load_feature_extractor

            extractor = load_feature_extractor(ssd_weights)
        if controls.layers_changed:
            extractor = extractor.with_layers(controls.style_layers, controls.content_layers)
        make_reproducible(controls.seed)
        # Video uses Adam: each frame continues from a good start with few steps, and the later
        # frames' lower learning rate is what keeps them from flickering (measured; see docs/video.md).
        base = replace(controls.settings(settings or StyleSettings()), optimizer="adam", scales=((1.0, None),))
        # One compiled step per role: the first frame (and every frame when independent) from its
        # content, later frames from the warped previous result with the temporal term.
        first = _trainer(extractor, replace(base, steps=0, temporal_weight=0.0), height, width)
        later = first
        if not independent:
            lr = float(later_lr) if later_lr else LATER_LR_FACTOR * base.lr
            later = _trainer(extractor, replace(base, steps=0, lr=lr, temporal_weight=temporal_weight),
                             height, width)
        result = VideoResult(path=output, size=reader.size, fps=out_fps, independent=independent)
        prev_frame = prev_working = shown_style = None
        with VideoWriter(output, out_fps, reader.size) as writer, \
                tqdm(reader, total=reader.count, desc="frames", unit="frame", disable=not progress) as bar:
            for i, frame in enumerate(bar):
                t0 = time.perf_counter()
                if i == 0:
                    # style targets (scaled, colour-matched to the first frame) are fixed for the clip
                    prep = prepare(frame, styles, controls)
                    for trainer in {first, later}:  # one trainer when independent
                        trainer.set_style(prep.styles, controls.style_blend)
                    shown_style = (prep.shown_styles[0] if len(styles) == 1 else np.asarray(
                        column_thumbnail(prep.shown_styles, prep.shown_styles[0].shape[1::-1]), np.float32))
                content = color.working_content(frame, mode)
                if independent or prev_frame is None:
                    trainer, steps = first, steps_per_frame if independent else first_frame_steps
                    init = prep.init if i == 0 else color.working_init(
                        initial_image(controls.init, frame, prep.shown_styles, controls.seed), mode)
                else:
                    trainer, steps = later, steps_per_frame
                    warped, mask = warp_with_mask(frame, prev_frame, prev_working, flow_method)
                    trainer.set_temporal(warped, mask)
                    # where the flow is unreliable (e.g. the strip entering the view) start from the content
                    # recoloured to the previous stylised frame's palette (its mean and covariance), not
                    # from edge pixels smeared by the warp: new pixels then match their surroundings
                    # (measured against starting from the raw content and against full-lr steps there;
                    # see docs/video.md)
                    fresh = color.match_color_histogram(content, prev_working)
                    init = mask[..., None] * warped + (1.0 - mask[..., None]) * fresh
                trainer.set_content(content)
                trainer.reset(init)
                bar.set_postfix(steps=steps)
                working = trainer.run(steps, progress=False).image
                stylised = finish(working, frame, controls)
                shown = stylised if inset == "none" else add_inset(
                    stylised, frame if inset in ("content", "both") else None,
                    shown_style if inset in ("style", "both") else None)
                writer.write(shown)
                if on_frame is not None:
                    on_frame(i, frame, stylised)
                prev_frame, prev_working = frame, working.astype(np.float32)
                result.seconds_per_frame.append(time.perf_counter() - t0)
                result.steps_per_frame.append(steps)
                result.frames += 1
                bar.set_postfix(steps=steps, s_per_frame=f"{result.seconds_per_frame[-1]:.2f}")
    return result


def warping_error(stylised_frames, source_frames, flow_method: str = "dis") -> tuple[float, list]:
    """Flicker measure: mean over consecutive pairs of the occlusion-masked squared difference.

    For each pair (t, t+1): stylised frame t+1 is warped back onto frame t by the flow
    of the *source* frames, and the squared difference to stylised frame t (intensities
    scaled to 0–1) is averaged over the pixels the forward–backward check keeps.
    Both arguments are iterables of H×W×3 frames (0–255) of equal length, consumed in
    step. Returns (mean error, per-pair errors).
    """
    return _pairs_warping_error(zip(stylised_frames, source_frames, strict=True), flow_method)


def _pairs_warping_error(pairs, flow_method: str) -> tuple[float, list]:
    errors = []
    prev_s = prev_v = None
    try:
        for s, v in pairs:
            s = np.asarray(s, np.float32) / 255.0
            v = np.asarray(v)
            if s.shape[:2] != v.shape[:2]:
                raise UserInputError(f"frame sizes differ: stylised {s.shape[1]}×{s.shape[0]}, "
                                     f"source {v.shape[1]}×{v.shape[0]}")
            if prev_s is not None:
                errors.append(pair_warping_error(prev_s, s, prev_v, v, flow_method))
            prev_s, prev_v = s, v
    except ValueError as exc:
        if "zip()" in str(exc):
            raise UserInputError("the stylised and source videos have different frame counts "
                                 "(use --start/--end/--skip as for the video)") from None
        raise
    if not errors:
        raise UserInputError("need at least two frames to measure flicker")
    return float(np.mean(errors)), errors


def pair_warping_error(stylised_a, stylised_b, source_a, source_b, flow_method: str = "dis") -> float:
    """Masked mean squared difference between stylised frame a and stylised frame b warped onto a.

    The flow and the occlusion mask come from the source frames; stylised frames are
    H×W×3 on the scale they are given in (the metric uses 0–1).
    """
    warped, mask = warp_with_mask(source_a, source_b, np.asarray(stylised_b, np.float32), flow_method)
    diff = np.sum((np.asarray(stylised_a, np.float32) - warped) ** 2, axis=-1) / 3.0
    return float(np.sum(mask * diff) / max(1.0, float(np.sum(mask))))


def video_warping_error(stylised_path, source_path, *, start: int = 0, end: int | None = None, skip: int = 1,
                        flow_method: str = "dis", progress: bool = False) -> tuple[float, list]:
    """`warping_error` of a stylised video file against its source video file.

    The source's frames [start, end) every `skip`-th are scaled to the stylised video's
    size, frame by frame; both must then have the same number of frames.
    """
    stylised = VideoReader(stylised_path, even=False)
    with stylised:
        source = VideoReader(source_path, start=start, end=end, skip=skip, resize=stylised.size)
        with source:
            pairs = tqdm(zip(stylised, source, strict=True), total=stylised.count, desc="frames", unit="frame",
                         disable=not progress)
            return _pairs_warping_error(pairs, flow_method)
