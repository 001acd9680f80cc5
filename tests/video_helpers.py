"""What the video test modules share: the pan clip, the painting it pans across and the style, and one
stylisation that records every (source, stylised) frame."""
from __future__ import annotations

import pytest

from paths import IMGS
from style_transfer.media.images import load_image
from style_transfer.video.clips import pan_frames, write_clip

PAINTING = IMGS / "renoir-moulin_de_la_galette.png"
STYLE = IMGS / "GreatWave.png"


@pytest.fixture(scope="module")
def pan_clip(tmp_path_factory):
    """An 8-frame, 96×64 pan (3 px a frame) across a painting, written to MP4 at 12 fps."""
    path = tmp_path_factory.mktemp("clips") / "pan.mp4"
    return write_clip(pan_frames(PAINTING, (96, 64), 8, dx=3), path, fps=12)


def stylise(extractor, clip, out, **kw):
    from style_transfer.video.stylizer import stylize_video

    seen = []
    result = stylize_video(clip, [load_image(STYLE)], out, network=extractor, progress=False,
                           on_frame=lambda i, f, s: seen.append((f, s)), **kw)
    return result, seen
