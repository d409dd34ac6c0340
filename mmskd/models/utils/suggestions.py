# Copyright (c) mmskd contributors. All rights reserved.
"""The "did you mean" of an error that names a module or a recorder."""
import difflib
from typing import Iterable


def did_you_mean(name: object, known: Iterable[str], count: int = 3) -> str:
    """A hint naming the known names closest to a wrong one.

    Args:
        name (object): The name the config gave.
        known (Iterable[str]): The names it could have given.
        count (int): At most this many suggestions. Defaults to 3.

    Returns:
        str: ``" Did you mean 'a', 'b'?"`` (with a leading space, to follow
        a sentence), or ``''`` when no name is close.
    """
    close = difflib.get_close_matches(str(name), list(known), n=count)
    return f' Did you mean {", ".join(map(repr, close))}?' if close else ''
