# Copyright (c) mmskd contributors. All rights reserved.
"""Prune a ResNet-18/34 segmentor by network slimming (thesis Table 6.6).

    python tools/model_converters/slim_resnet.py CONFIG CHECKPOINT OUT_DIR \\
        [--ratio 0.5]

CHECKPOINT is a run trained with the sparsity term (a segmentor of
``type='SlimmingEncoderDecoder'``), CONFIG the network to fine-tune (with or
without the auxiliary module). ``ratio`` of the channels inside
the backbone's BasicBlocks go, those of the smallest BN scales over the whole
network (:mod:`mmskd.models.pruning`). OUT_DIR gets ``slim.pth`` (the pruned
weights) and ``slim.py``: CONFIG with the pruned backbone
(``PrunedResNetV1c``), the sparsity term off and ``load_from`` the
pruned weights, which ``tools/train.py`` fine-tunes
(``--cfg-options model.auxiliary_head=None``: without its auxiliary heads).
``tools/test.py`` evaluates the pruned network before fine-tuning with
``--cfg-options model.auxiliary_head=None`` (slim.pth has no auxiliary
weights), and any fine-tuned checkpoint as it is. The input is read with
``weights_only=False``: prune only checkpoints you trust.
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the checkpoint ran')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('out_dir', help='where slim.pth and slim.py go')
    parser.add_argument(
        '--ratio',
        type=float,
        default=0.5,
        help='share of the blocks\' inner channels to remove (default: 0.5, '
        'as Table 6.6)')
    return parser.parse_args()


def slim_config(config: str, inner_channels: list, checkpoint: str) -> str:
    """The text of the pruned network's config, over ``config``."""
    cfg = Config.fromfile(config)
    model = [
        "    backbone=dict(type='PrunedResNetV1c', "
        f'inner_channels={inner_channels}),'
    ]
    if str(cfg.model.type).split('.')[-1] == 'SlimmingEncoderDecoder':
        model.append('    sparsity_weight=0.0,')
    return '\n'.join([
        f'# {osp.basename(config)} pruned by '
        'tools/model_converters/slim_resnet.py.',
        f'_base_ = [{osp.abspath(config)!r}]',
        'model = dict(',
        *model,
        ')',
        f'load_from = {osp.abspath(checkpoint)!r}',
        '',
    ])


def main() -> None:
    args = parse_args()
    from mmskd.models.pruning import slim_state_dict
    checkpoint = torch.load(
        args.checkpoint, map_location='cpu', weights_only=False)
    state_dict = checkpoint.get('state_dict', checkpoint)
    slim = slim_state_dict(state_dict, args.ratio)
    os.makedirs(args.out_dir, exist_ok=True)
    weights = osp.join(args.out_dir, 'slim.pth')
    torch.save(
        dict(
            state_dict=slim['state_dict'],
            meta=dict(
                inner_channels=slim['inner_channels'],
                ratio=args.ratio,
                source=osp.abspath(args.checkpoint))), weights)
    config = osp.join(args.out_dir, 'slim.py')
    with open(config, 'w') as file:
        file.write(
            slim_config(args.config, slim['inner_channels'], weights))
    before = sum(
        state_dict[key].shape[0] for key in state_dict
        if key.endswith('.bn1.weight') and key.startswith('backbone.layer'))
    print(f'Kept {sum(slim["inner_channels"])} of {before} inner channels '
          f'({slim["inner_channels"]}); wrote {weights} and {config}.')


if __name__ == '__main__':
    main()
