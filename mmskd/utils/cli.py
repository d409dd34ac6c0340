# Copyright (c) mmskd contributors. All rights reserved.
"""Command-line arguments the mmskd tools share."""
import argparse

from mmengine.config import DictAction


def add_cfg_options(parser: argparse.ArgumentParser) -> None:
    """Add the OpenMMLab tools' ``--cfg-options key=value ...`` argument.

    Args:
        parser (argparse.ArgumentParser): The tool's parser; the overrides
            land in ``args.cfg_options`` as a dict (mmengine's
            ``DictAction``), for ``Config.merge_from_dict``.
    """
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, in xxx=yyy format')
