# Copyright (c) mmskd contributors. All rights reserved.
"""What every auxiliary module shares: an mmseg decode head over several
backbone outputs, trained with the task's own loss."""
from typing import List, Sequence, Union

from mmseg.models.decode_heads.decode_head import BaseDecodeHead


class BaseAuxiliaryHead(BaseDecodeHead):
    """An mmseg ``auxiliary_head`` that takes the backbone outputs of
    ``in_index`` as a list (``input_transform='multiple_select'``).

    Args:
        in_channels (Sequence[int]): Channels of the outputs it takes.
        channels (int): The width of its layers.
        in_index (Sequence[int]): The backbone outputs it takes, in order.
        loss_decode (dict | list): The task's loss. Defaults to mmseg's
            cross-entropy with weight 1 (named ``mmseg.`` so that it
            resolves when the head is built in the ``mmskd`` scope).
        **kwargs: The other arguments of mmseg's ``BaseDecodeHead``.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int,
                 in_index: Sequence[int],
                 loss_decode: Union[dict, List[dict]] = dict(
                     type='mmseg.CrossEntropyLoss',
                     use_sigmoid=False,
                     loss_weight=1.0),
                 **kwargs) -> None:
        if 'input_transform' in kwargs:
            raise ValueError(
                f'{type(self).__name__} takes every output of in_index '
                "itself (input_transform='multiple_select'); remove "
                f"input_transform={kwargs['input_transform']!r}.")
        super().__init__(
            list(in_channels),
            channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            loss_decode=loss_decode,
            **kwargs)
