# Copyright (c) mmskd contributors. All rights reserved.
import torch.nn.functional as F
from torch import Tensor

from mmskd.registry import MODELS
from .softmax_divergence import SoftmaxDivergence


@MODELS.register_module()
class ChannelWiseDivergence(SoftmaxDivergence):
    """Channel-wise distillation (CWD) for dense prediction.

    `Channel-wise Knowledge Distillation for Dense Prediction
    <https://arxiv.org/abs/2011.13256>`_, Eqs. (3)-(4). Each channel is
    turned into a distribution over its H*W locations, and the student's is
    pulled towards the teacher's:

    .. math::
        \\ell_{cd} = w \\cdot \\frac{\\tau^2}{NC} \\sum_{n, c}
        \\mathrm{KL}\\big(\\phi(t_{n,c}/\\tau) \\,\\|\\, \\phi(s_{n,c}/\\tau)
        \\big)

    where :math:`\\phi` is the softmax over spatial locations. The direction
    KL(teacher || student) matters: it makes the student match the regions
    where the teacher's activation is high (the paper reports that the
    swapped order does not converge). The value equals mmrazor's
    ``ChannelWiseDivergence``, which also averages over N * C; unlike it,
    this loss validates its inputs, can resize the student, and runs in
    float32 under autocast.

    Args:
        tau (float): Softmax temperature. The paper uses 3 for segmentation
            feature maps. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_student (bool): See
            :class:`~mmskd.models.losses.BaseDistillLoss`. Defaults to False.
    """

    def divergence(self, scaled_S: Tensor, scaled_T: Tensor) -> Tensor:
        """KL(teacher || student) per (sample, channel) over H*W, averaged.

        Args:
            scaled_S (Tensor): Student map divided by tau, (N, C, H, W).
            scaled_T (Tensor): Teacher map divided by tau, (N, C, H, W).

        Returns:
            Tensor: The sum of the N*C divergences divided by N*C.
        """
        num_maps = scaled_S.shape[0] * scaled_S.shape[1]
        # One row per (sample, channel); the softmax runs over H * W.
        log_prob_S = F.log_softmax(scaled_S.flatten(2), dim=2)
        log_prob_T = F.log_softmax(scaled_T.flatten(2), dim=2)
        kl_sum = F.kl_div(
            log_prob_S, log_prob_T, reduction='sum', log_target=True)
        return kl_sum / num_maps

    def check_inputs(self, preds_S: Tensor, preds_T: Tensor) -> None:
        """Check that student channel c can be matched to teacher channel c.

        Args:
            preds_S (Tensor): Student map of shape (N, Cs, H, W).
            preds_T (Tensor): Teacher map of shape (N, Ct, H, W).

        Raises:
            ValueError: If Cs differs from Ct, with a config snippet for the
                connector that fixes it.
        """
        channels_S, channels_T = preds_S.shape[1], preds_T.shape[1]
        if channels_S == channels_T:
            return
        raise ValueError(
            'ChannelWiseDivergence compares channels one to one, but the '
            f'student has {channels_S} channels and the teacher '
            f'{channels_T}. Add a connector that maps the student feature '
            f'to {channels_T} channels in the distiller config, e.g. '
            "connectors=dict(s_neck=dict(type='mmrazor.ConvModuleConnector', "
            f'in_channel={channels_S}, out_channel={channels_T}, '
            "norm_cfg=dict(type='BN'), act_cfg=None)), and apply it with "
            "connector='s_neck' in the student entry of "
            'loss_forward_mappings.')
