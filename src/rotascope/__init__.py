"""rotascope: is U.S. equity leadership rotating from mega caps to small caps, and is it real?"""

from rotascope.interrupts import end_quietly_while_starting

__version__ = "0.1.0"

__all__ = ["__version__"]

end_quietly_while_starting()  # first thing the `rotascope` program runs: Ctrl-C during its imports is quiet
