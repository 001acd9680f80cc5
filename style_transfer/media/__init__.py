"""Reading and writing images, GIFs and videos (atomically)."""
