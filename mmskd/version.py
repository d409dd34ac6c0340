# Copyright (c) mmskd contributors. All rights reserved.
__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Split a version string such as ``'0.1.0rc1'`` into a comparable tuple.

    Args:
        version_str (str): The version string.

    Returns:
        tuple: The integer parts, then the pre-release tag if there is one.
    """
    info = []
    for part in version_str.split('.'):
        if part.isdigit():
            info.append(int(part))
        elif 'rc' in part:
            number, rc = part.split('rc')
            info.extend([int(number), f'rc{rc}'])
    return tuple(info)


version_info = parse_version_info(__version__)
