# Copyright (c) mmskd contributors. All rights reserved.
"""Parameters and FLOPs of a distill config's teacher and student, or of
the one model of another config.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W] [--out JSON]

Both models are built from the config (random weights: counting needs no
checkpoint) and traced once by ``mmengine.analysis`` at the config's input
size (the student's crop size for segmentation, the test resize scale for
detection) or at ``--shape``. FLOPs count one multiply-add as one FLOP, as
the model zoos do; the auxiliary head and the parts that exist only while
distilling (connectors, discriminator) are not counted, nor a network's
auxiliary heads (the deployed network is counted).
"""
import argparse
import json

from mmengine.config import Config
from mmengine.logging import MMLogger

import mmskd  # noqa: F401  (registers mmskd, patches mmrazor's import)
from mmskd.analysis import config_complexity, format_complexity
from mmskd.utils.cli import add_cfg_options


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='input height and width (default: the config\'s input size)')
    parser.add_argument('--out', help='also write the figures to this JSON')
    add_cfg_options(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    logger = MMLogger.get_instance('mmskd_get_flops', log_level='INFO')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    logger.info(f'Counting the models of {args.config} ...')
    results = config_complexity(cfg, args.shape)
    print(format_complexity(results))
    if args.out:
        with open(args.out, 'w') as file:
            json.dump(dict(config=args.config, **results), file, indent=2)


if __name__ == '__main__':
    main()
