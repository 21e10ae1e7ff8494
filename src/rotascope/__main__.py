"""`python -m rotascope`."""

from rotascope.cli import main

main()
