"""Reading a user's input file (a config, a sweep, a network) with a one-line reason on failure.

Every file nicsim reads on a user's behalf goes through :func:`read_file_bytes` or
:func:`read_text_file`, so a missing file, a folder, a device, an unreadable, empty, binary
or non-UTF-8 file gets the same kind of message wherever it is named: the file, what is
wrong, and what was expected. Only regular files are read: a device such as ``/dev/zero``
or a pipe could be endless (or never end), so it is refused before a byte is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .params import ConfigError


def read_file_bytes(
    path: str | Path, what: str, name: str | None = None, error: type[ConfigError] = ConfigError
) -> bytes:
    """The content of the regular, non-empty file at ``path``, or a one-line ``error``.

    ``what`` says what the file should be ("a TOML file"); ``name`` is how the message names
    the file (default: its path), e.g. ``"graph file net.csv"``; ``error`` is the
    ConfigError subclass to raise (a graph file's is ``GraphFileError``).
    """
    name = name or str(path)
    try:
        mode = os.stat(path).st_mode
        data = Path(path).read_bytes() if stat.S_ISREG(mode) else None
    except (FileNotFoundError, NotADirectoryError):
        raise error(f"{name}: no such file") from None
    except OSError as exc:
        raise error(f"{name}: cannot be read ({exc.strerror})") from None
    except ValueError as exc:  # a path with a NUL character, from a config's string
        raise error(f"{name}: cannot be read ({exc})") from None
    if stat.S_ISDIR(mode):
        raise error(f"{name}: is a directory, expected {what}")
    if data is None:
        raise error(f"{name}: is not a regular file (a device, pipe or socket), expected {what}")
    if not data.strip():
        raise error(f"{name}: is empty, expected {what}")
    return data


def read_text_file(path: str | Path, what: str, name: str | None = None) -> str:
    """The text of a UTF-8 file: :func:`read_file_bytes`, then :func:`decode_text`."""
    name = name or str(path)
    return decode_text(read_file_bytes(path, what, name), what, name)


def decode_text(data: bytes, what: str, name: str, error: type[ConfigError] = ConfigError) -> str:
    """A file's bytes as UTF-8 text (a leading byte-order mark, as Excel writes, is dropped).

    A binary file (one with a NUL byte) or text in another encoding is refused with the line
    of the first bad byte, rather than read as garbage or left to a decoder's traceback.
    """
    if b"\0" in data:
        raise error(f"{name}: is a binary file, expected {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{name}, line {line}: is not UTF-8 text (byte 0x{data[exc.start]:02x}), expected "
            f"{what}: save it as UTF-8"
        ) from None
