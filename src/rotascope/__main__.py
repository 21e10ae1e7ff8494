"""`python -m rotascope`."""

from rotascope.interrupts import end_quietly_while_starting

end_quietly_while_starting(force=True)  # before the command modules import (about a second)

from rotascope.cli import main  # noqa: E402  (after the signal handler above)

main()
