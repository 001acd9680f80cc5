"""Sub-commands of `style-transfer`; each module has `register(subparsers)`."""
