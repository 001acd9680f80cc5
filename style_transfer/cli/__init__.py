"""The `style-transfer` command line."""
