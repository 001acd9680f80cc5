"""File-extension tables: which suffixes the project reads and writes, and as what."""
from __future__ import annotations

# still images → the Pillow format name they are saved as
IMAGE_EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP",
                    ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}
PNG_EXTENSIONS = {".png": "PNG"}

# animations the streaming VideoWriter produces
GIF_EXTENSIONS = {".gif": "GIF"}
MP4_EXTENSIONS = {".mp4": "MP4"}
VIDEO_OUTPUT_EXTENSIONS = {**GIF_EXTENSIONS, **MP4_EXTENSIONS}
