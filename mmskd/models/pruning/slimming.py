# Copyright (c) mmskd contributors. All rights reserved.
"""Network slimming (Liu et al., 2017) of a ResNet's BasicBlocks: an L1
penalty on BN scales while training, then the channels of the smallest
scales removed.

Only the channels inside each block (``conv1``'s outputs, ``bn1``,
``conv2``'s inputs) are pruned: a block's output is added to its shortcut,
so its width is the stage's and stays. The thesis's Table 6.6 prunes 50% of
ResNet-18's channels with network slimming and does not say which; these
are the channels that slimming removes without changing any other layer.
"""
import re
from typing import Dict, List, Sequence

import torch
from torch import Tensor, nn

# A backbone BasicBlock's first BN scale in a segmentor's state dict, e.g.
# backbone.layer2.1.bn1.weight.
BLOCK_SCALE = re.compile(r'^(?P<block>backbone\.layer\d+\.\d+)\.bn1\.weight$')


def basic_blocks(backbone: nn.Module) -> List[nn.Module]:
    """The BasicBlocks of an mmseg ResNet, stage by stage."""
    blocks = []
    for name in backbone.res_layers:
        blocks += list(getattr(backbone, name))
    if not blocks or not all(hasattr(block, 'conv2') and not hasattr(
            block, 'conv3') for block in blocks):
        raise TypeError(
            'Network slimming here prunes the BasicBlocks of an mmseg '
            'ResNet-18 or -34; this backbone has '
            f'{type(blocks[0]).__name__ if blocks else "no blocks"}.')
    return blocks


def bn_scale_l1(backbone: nn.Module) -> Tensor:
    """The sum of |scale| of every block's first BN, slimming's penalty."""
    return sum(block.norm1.weight.abs().sum()
               for block in basic_blocks(backbone))


def select_channels(scales: Sequence[Tensor],
                    ratio: float) -> List[List[int]]:
    """The channels each block keeps: ``ratio`` of all the blocks' channels
    go, those of the smallest |scale| over the whole network (one
    threshold, as in network slimming), each block keeping at least its
    largest.

    Args:
        scales (Sequence[Tensor]): Each block's first BN scale.
        ratio (float): The share of channels to remove, in [0, 1).

    Returns:
        list[list[int]]: Each block's kept channels, in order.
    """
    if not 0 <= ratio < 1:
        raise ValueError(f'The pruning ratio is a share in [0, 1), got '
                         f'{ratio}.')
    magnitudes = torch.cat([scale.detach().abs().flatten()
                            for scale in scales])
    removed = int(round(ratio * magnitudes.numel()))
    order = torch.argsort(magnitudes, stable=True)
    drop = torch.zeros_like(magnitudes, dtype=torch.bool)
    drop[order[:removed]] = True
    kept, start = [], 0
    for scale in scales:
        block = drop[start:start + scale.numel()]
        channels = torch.nonzero(~block).flatten().tolist()
        kept.append(channels or [int(scale.abs().argmax())])
        start += scale.numel()
    return kept


def slim_state_dict(state_dict: Dict[str, Tensor],
                    ratio: float) -> Dict[str, object]:
    """Prune a checkpoint's BasicBlocks.

    Args:
        state_dict (dict): A segmentor's weights.
        ratio (float): The share of the blocks' inner channels to remove.

    Returns:
        dict: ``state_dict`` (the pruned weights: conv1's outputs, bn1's
        entries and conv2's inputs of each block sliced) and
        ``inner_channels`` (each block's width, for ``PrunedResNetV1c``).
    """
    blocks = [
        match.group('block') for match in map(BLOCK_SCALE.match, state_dict)
        if match
    ]
    if not blocks:
        raise ValueError('The checkpoint has no BasicBlock BN scales '
                         '(layerN.M.bn1.weight) to prune.')
    kept = select_channels([state_dict[f'{b}.bn1.weight'] for b in blocks],
                           ratio)
    pruned = dict(state_dict)
    for block, channels in zip(blocks, kept):
        index = torch.tensor(channels)
        pruned[f'{block}.conv1.weight'] = \
            state_dict[f'{block}.conv1.weight'][index].clone()
        for entry in ('weight', 'bias', 'running_mean', 'running_var'):
            pruned[f'{block}.bn1.{entry}'] = \
                state_dict[f'{block}.bn1.{entry}'][index].clone()
        pruned[f'{block}.conv2.weight'] = \
            state_dict[f'{block}.conv2.weight'][:, index].clone()
    return dict(
        state_dict=pruned,
        inner_channels=[len(channels) for channels in kept])
