"""The style engine: arrays in, arrays out; never a path, a flag or a writer."""
