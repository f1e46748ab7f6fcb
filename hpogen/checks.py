"""Argument checks every script runs before doing any work.

Each check raises :class:`~hpogen.errors.UserError` with one line that names
the option, the bad value and the fix, so a script fails in a second instead
of after minutes of computing (or, worse, after computing and then failing to
save).

Example:
    >>> check_at_least("--jobs", 2, 1)
    2
    >>> check_device("auto")
    'auto'
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from hpogen.errors import UserError

DEVICE = re.compile(r"cpu|auto|cuda(:\d+)?")


def check_at_least(option: str, value: int, minimum: int) -> int:
    """``value`` if it is >= ``minimum``, else an error naming ``option``."""
    if value < minimum:
        raise UserError(f"{option} must be >= {minimum}, got {value}")
    return value


def check_device(device: str) -> str:
    """``cpu``, ``cuda``, ``cuda:N`` or ``auto``; ``cuda`` must be available.

    Returns:
        The device string, unchanged (``auto`` is resolved by the method).
    """
    if not DEVICE.fullmatch(str(device)):
        raise UserError(f"unknown device {device!r}; valid: cpu, cuda, cuda:N, auto")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise UserError(f"device {device!r} was asked for but CUDA is not available; use --device cpu")
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise UserError(f"device {device!r} does not exist: this machine has {torch.cuda.device_count()} "
                            "CUDA device(s); use --device cuda")
    return device


def check_output_dir(path: str | os.PathLike, option: str) -> Path:
    """Check that ``path`` is, or can become, a folder we can write in.

    Nothing is created: the nearest existing folder on the way to ``path`` is
    probed with an anonymous temporary file, so a file in the way, a missing
    permission or a read-only file system is reported before any work.

    Args:
        path: the output folder (may not exist yet).
        option: the command-line option that named it, for the message.

    Returns:
        ``Path(path)``.
    """
    path = Path(path)
    probe = path
    while not probe.exists() and not probe.is_symlink() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        where = "is a file" if probe == path else f"cannot be created: {probe} is a file"
        raise UserError(f"{option} {path} {where}, not a folder; choose another {option}")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise UserError(f"{option} {path}: cannot write in {probe} ({reason}); choose another {option} "
                        "or make it writable") from None
    return path


def check_output_file(path: str | os.PathLike, option: str) -> Path:
    """Check that the file ``path`` can be written: not a folder, its folder writable."""
    if str(path).endswith(("/", os.sep)) or Path(path).is_dir():
        raise UserError(f"{option} {path} is a folder, not a file; choose another {option}")
    path = Path(path)
    check_output_dir(path.parent, option)
    return path


def check_id(kind: str, value: str, where: str = "") -> str:
    """An id used in file names must stay inside its folder: no separators, not '.' or '..'."""
    text = str(value)
    if not text or text in (".", "..") or "/" in text or "\\" in text or "\0" in text:
        source = f" in {where}" if where else ""
        raise UserError(f"{kind} id {text!r}{source} cannot be used in a file name (empty, '.', '..' or with a "
                        "path separator); rename it")
    return text
