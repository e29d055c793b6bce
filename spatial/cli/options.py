"""Argument types for the commands: each error names the option's value and the fix.

argparse puts ``argument --seed:`` in front of the message, so the user sees
the option, what is wrong with the value and what to give instead.
"""

from __future__ import annotations

import argparse
import os
import stat
from typing import Callable

__all__ = ["whole_number", "regular_file"]


def whole_number(minimum: int, example: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number; give {minimum} or more, e.g. {example}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small; give {minimum} or more, e.g. {example}")
        return value

    parse.__name__ = "whole number"
    return parse


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def regular_file(what: str) -> Callable[[str], str]:
    """An argparse type: the path of an existing regular file (never a folder, pipe or device)."""
    def parse(text: str) -> str:
        try:
            mode = os.stat(text).st_mode
        except FileNotFoundError:
            raise argparse.ArgumentTypeError(f"{text!r}: file not found; give the path of {what}") from None
        except OSError as exc:
            raise argparse.ArgumentTypeError(f"{text!r}: cannot be read ({exc.strerror}); give the path of "
                                             f"{what}") from None
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a file")
            raise argparse.ArgumentTypeError(f"{text!r} is {kind}, not a regular file; give the path of {what}")
        return text

    parse.__name__ = "file"
    return parse
