"""Read a TOML file a user names (config, thresholds, sweep) with one sentence for each way it can fail.

A device, a FIFO or a file over the default ``max_input_mb`` is refused before reading (the config file is
read before the settings exist, so every TOML file is held to the default cap).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from rotascope.errors import ConfigError, InputError
from rotascope.inputfile import check_input


def read_toml(path: Path | str, what: str) -> dict[str, Any]:
    """The parsed file; ``what`` names it in the error ("Config file", "Thresholds file", …)."""
    where = f"{what} {path}"
    try:
        check_input(path, what)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist.") from None
    except IsADirectoryError:
        raise ConfigError(f"{where} is a folder, not a file.") from None
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read ({exc.strerror}).") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where} is not valid TOML: {str(exc)[:120]}.") from None
