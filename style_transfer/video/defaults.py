"""Video defaults, importable without TensorFlow (the command validates its input before loading it)."""

DEFAULT_STEPS_PER_FRAME = 10
DEFAULT_FIRST_FRAME_STEPS = 60
DEFAULT_TEMPORAL_WEIGHT = 1e7
LATER_LR_FACTOR = 0.3  # later frames start stylised: smaller Adam steps, less flicker
INSETS = ("content", "style", "both", "none")
