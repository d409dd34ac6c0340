# Copyright (c) mmskd contributors. All rights reserved.
"""The base of mmskd's losses: what they all do around their formula."""
from typing import Callable, Sequence, Tuple, Union

import torch.nn as nn
from torch import Tensor

from ..utils import autocast_disabled
from .utils import prepare_pair


class BaseDistillLoss(nn.Module):
    """Base of the distillation losses: weight, pair preparation, float32.

    Every loss in this folder is built from its config by the registry, as
    mmrazor's are, and takes a ``loss_weight``. Around its formula each one
    needs the same steps, which this class owns:

    - the loss weight: :meth:`weighted` returns ``loss_weight * loss``;
    - float32 maths: :meth:`weighted` runs the formula with autocast off,
      because exponentials overflow in fp16 and the small differences the
      losses are made of vanish in bf16;
    - the student/teacher pair (:meth:`prepare`): both maps must be 4-D with
      one batch size, the teacher is detached (a fixed target, even if a
      teacher left in train mode returns maps that require grad), both are
      cast to float32, and a student map of another spatial size is
      bilinearly resized to the teacher's if ``resize_student`` is set
      (otherwise that is an error, never a silent broadcast); then
      :meth:`check_inputs` lets a loss refuse a pair it cannot compare, e.g.
      a channel mismatch.

    A loss of one student map and one teacher map only writes
    :meth:`pair_loss`; the inherited :meth:`forward` prepares the pair and
    weights the result. A loss with other inputs (a label map, frame pairs,
    sequences, flow) writes its own ``forward``, whose argument names are
    those mmrazor's ``loss_forward_mappings`` use, and calls :meth:`weighted`
    with a function that calls :meth:`prepare` on each pair it compares. A
    loss that compares no student/teacher pair (the temporal loss, which
    regularises one network) takes no ``resize_student`` and never calls
    :meth:`prepare`.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_student (bool): Whether to bilinearly resize student maps
            whose spatial size differs from the teacher's. If False, such a
            mismatch raises a ValueError. Defaults to False.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 resize_student: bool = False) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.resize_student = bool(resize_student)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the weighted loss of a student map against a teacher map.

        Args:
            preds_S (Tensor): Student map of shape (N, Cs, Hs, Ws).
            preds_T (Tensor): Teacher map of shape (N, Ct, H, W). It is
                detached; no gradient reaches the teacher.

        Returns:
            Tensor: The scalar float32 loss.
        """
        return self.weighted(self.prepared_loss, preds_S, preds_T)

    def pair_loss(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """The unweighted loss of a prepared pair; subclasses define it.

        Args:
            preds_S (Tensor): float32 student map, (N, Cs, H, W).
            preds_T (Tensor): Detached float32 teacher map, (N, Ct, H, W).

        Returns:
            Tensor: The unweighted scalar loss.
        """
        raise NotImplementedError(
            f'{type(self).__name__} must define pair_loss, or a forward '
            'that does not use it.')

    def check_inputs(self, preds_S: Tensor, preds_T: Tensor) -> None:
        """Refuse a prepared pair the loss cannot compare; accepts any.

        Subclasses that compare channels one to one override it to raise a
        ValueError that names the fix.

        Args:
            preds_S (Tensor): float32 student map, (N, Cs, H, W).
            preds_T (Tensor): float32 teacher map, (N, Ct, H, W).
        """

    def prepare(self, preds_S: Tensor,
                preds_T: Tensor) -> Tuple[Tensor, Tensor]:
        """Validate a pair, detach the teacher, cast to float32, align sizes.

        Call it inside :meth:`weighted` so that the resize runs in float32.

        Args:
            preds_S (Tensor): Student map of shape (N, Cs, Hs, Ws).
            preds_T (Tensor): Teacher map of shape (N, Ct, H, W).

        Returns:
            Tuple[Tensor, Tensor]: The float32 student map at (H, W) and the
            detached float32 teacher map.

        Raises:
            ValueError: If the maps are not 4-D, their batch sizes differ,
                their spatial sizes differ without ``resize_student``, or
                :meth:`check_inputs` refuses them.
        """
        preds_S, preds_T = prepare_pair(preds_S, preds_T, self.resize_student,
                                        type(self).__name__)
        self.check_inputs(preds_S, preds_T)
        return preds_S, preds_T

    def prepared_loss(self, preds_S: Tensor, preds_T: Tensor,
                      **kwargs) -> Tensor:
        """:meth:`pair_loss` of the pair after :meth:`prepare`.

        Args:
            preds_S (Tensor): Student map of shape (N, Cs, Hs, Ws).
            preds_T (Tensor): Teacher map of shape (N, Ct, H, W).
            **kwargs: Further inputs of :meth:`pair_loss`, e.g. labels.

        Returns:
            Tensor: The unweighted loss.
        """
        return self.pair_loss(*self.prepare(preds_S, preds_T), **kwargs)

    def weighted(self, compute: Callable[..., Tensor], *inputs:
                 Union[Tensor, Sequence[Tensor]], **kwargs) -> Tensor:
        """Run ``compute`` with autocast off and scale it by the weight.

        Args:
            compute (Callable): The unweighted loss of ``inputs``; it casts
                (or :meth:`prepare` casts) them to float32.
            *inputs (Tensor | Sequence[Tensor]): Its positional inputs. The
                first one (or, for a sequence of maps, its first map) gives
                the device whose autocast is switched off.
            **kwargs: Its keyword inputs.

        Returns:
            Tensor: ``loss_weight * compute(*inputs, **kwargs)``.
        """
        first = inputs[0]
        device = first.device if isinstance(first, Tensor) else first[0].device
        with autocast_disabled(device):
            loss = compute(*inputs, **kwargs)
        return self.loss_weight * loss
