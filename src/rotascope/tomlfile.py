"""Read a TOML file a user names (config, thresholds, sweep) with one sentence for each way it can fail."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from rotascope.errors import ConfigError


def read_toml(path: Path | str, what: str) -> dict[str, Any]:
    """The parsed file; ``what`` names it in the error ("Config file", "Thresholds file", …)."""
    where = f"{what} {path}"
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
