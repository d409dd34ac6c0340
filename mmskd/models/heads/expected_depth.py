# Copyright (c) mmskd contributors. All rights reserved.
"""The expected depth of bin logits, as a module a recorder can hook."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmskd.registry import MODELS
from ..utils.precision import autocast_disabled

EXPECTATIONS = ('log', 'linear')


@MODELS.register_module()
class ExpectedDepth(nn.Module):
    """Bin logits to the expected depth.

    With ``expectation='log'`` (the default) the expectation is taken over the
    log depth, :math:`10^{\\sum_k p_k \\log_{10} d_k}`, as VNL's released
    code turns its log-spaced bins into depth (the SKD papers follow VNL
    for depth as classification); ``'linear'`` takes
    :math:`\\sum_k p_k d_k`. :math:`p` is the softmax of the logits over
    the bins and :math:`d_k` the bin centres. On a confident prediction the
    two agree; on a flat one the log expectation is the geometric mean of
    the centres (1 m over 0.1-10 m) where the linear one is their mean
    (2.15 m), so the choice changes the metrics and the map the holistic
    term scores.

    It has no parameters; the centres are a non-persistent
    buffer (they follow from the head's arguments, so checkpoints do not
    hold them). :class:`DepthBinHead` owns one as ``expected_depth`` and
    calls it in every ``forward``, so that a ``ModuleOutputs`` recorder on
    ``decode_head.expected_depth`` records the depth map at the resolution
    of the logits, in the teacher's ``mode='tensor'`` and the student's
    ``mode='loss'`` alike: the 1-channel map the holistic discriminator
    scores for depth (the teacher's map is the real sample).

    Args:
        bin_centres (Tensor): The K bin centres, positive and increasing,
            shape (K,).
        expectation (str): ``'log'`` or ``'linear'``. Defaults to ``'log'``.
    """

    #: The channel count of the output, read by mmskd where it needs the
    #: width of a recorded map (connectors, the discriminator check).
    out_channels = 1

    def __init__(self, bin_centres: Tensor, expectation: str = 'log') -> None:
        super().__init__()
        if bin_centres.dim() != 1 or bin_centres.numel() < 2:
            raise ValueError('bin_centres must be a 1-d tensor of at least 2 '
                             f'centres, got shape {tuple(bin_centres.shape)}')
        if expectation not in EXPECTATIONS:
            raise ValueError(f'expectation must be one of {EXPECTATIONS}, '
                             f'got {expectation!r}')
        if expectation == 'log' and not bool((bin_centres > 0).all()):
            raise ValueError('expectation=\'log\' needs positive '
                             'bin_centres; use expectation=\'linear\' for '
                             'bins that reach 0.')
        self.expectation = expectation
        self.register_buffer(
            'bin_centres', bin_centres.float(), persistent=False)

    @property
    def num_bins(self) -> int:
        """The number of bins K."""
        return self.bin_centres.numel()

    def forward(self, bin_logits: Tensor) -> Tensor:
        """The expected depth of each pixel.

        Args:
            bin_logits (Tensor): Logits of shape (N, K, H, W).

        Returns:
            Tensor: Float32 depth of shape (N, 1, H, W), between the first
            and the last bin centre.
        """
        if bin_logits.dim() != 4 or bin_logits.shape[1] != self.num_bins:
            raise ValueError(
                f'expected bin logits of shape (N, {self.num_bins}, H, W), '
                f'got {tuple(bin_logits.shape)}')
        # Autocast off: it would run the einsum's matmul in half precision
        # (bf16 keeps 8 significant bits, about 0.4 % of a depth), while the
        # depth metrics compare float32 depths.
        with autocast_disabled(bin_logits.device):
            prob = F.softmax(bin_logits.float(), dim=1)
            if self.expectation == 'linear':
                depth = torch.einsum('nkhw,k->nhw', prob, self.bin_centres)
            else:
                log_depth = torch.einsum('nkhw,k->nhw', prob,
                                         self.bin_centres.log10())
                # 10 ** log10(d) may come back an ulp outside the centres.
                depth = (10**log_depth).clamp(self.bin_centres[0],
                                              self.bin_centres[-1])
        return depth.unsqueeze(1)

    def extra_repr(self) -> str:
        return (f'num_bins={self.num_bins}, expectation={self.expectation!r}, '
                f'range=[{self.bin_centres[0]:.4g}, '
                f'{self.bin_centres[-1]:.4g}]')
