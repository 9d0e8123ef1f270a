"""`python -m acuerdo` runs the CLI."""

from acuerdo.cli import main

main()
