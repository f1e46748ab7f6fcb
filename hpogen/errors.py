"""User-facing errors: one line that says what is wrong and what to do."""
from __future__ import annotations

import functools
import sys
from typing import Callable


class UserError(Exception):
    """A mistake in the user's input or environment, reported in one line.

    Scripts turn it into ``error: <message>`` on stderr and exit status 2,
    without a traceback. The message must name the problem and the fix.
    """

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))  # always one line


def cli_main(func: Callable[..., int | None]) -> Callable[..., int]:
    """Decorate a script's ``main``: UserError -> one line on stderr, exit 2.

    Example:
        >>> @cli_main
        ... def main(argv=None):
        ...     raise UserError("no such space '1'; valid: 5971")
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> int:
        try:
            code = func(*args, **kwargs)
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted: finished runs are saved; rerun the same command to resume",
                  file=sys.stderr)
            return 130
        return 0 if code is None else int(code)

    return wrapper
