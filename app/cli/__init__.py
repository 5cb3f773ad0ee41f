"""The ``nvscope`` command line: thin argparse wrappers over app.core (the GUI starts from app.gui)."""

from app.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
