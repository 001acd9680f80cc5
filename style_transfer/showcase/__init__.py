"""Grids with their result cache, and the backbone comparison."""
