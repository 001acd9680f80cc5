"""Figures: rows, grids and insets, loss plots, montages."""
