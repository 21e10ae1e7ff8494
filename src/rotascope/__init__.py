"""rotascope: is U.S. equity leadership rotating from mega caps to small caps, and is it real?"""

__version__ = "0.1.0"

__all__ = ["__version__"]
