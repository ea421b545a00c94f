"""`python -m finlora` runs the CLI."""

from finlora.cli import main

main()
