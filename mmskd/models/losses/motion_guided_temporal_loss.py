# Copyright (c) mmskd contributors. All rights reserved.
import torch
from torch import Tensor

from mmskd.registry import MODELS
from ..flow import check_flow, flow_warp, warp_valid_mask
from .base_distill_loss import BaseDistillLoss
from .utils import resize_to, validate_choice

MASK_REDUCTIONS = ('l1', 'mean', 'abs_sum')


def occlusion_mask(img_t: Tensor,
                   warped_img: Tensor,
                   reduction: str = 'l1') -> Tensor:
    """The occlusion mask V = exp(-|I_t - Î_{t+k}|) of eq. (5.1).

    Where the flow is right and the pixel is visible in both frames, frame
    t+k warped to t matches frame t and V is close to 1; occluded or
    mis-warped pixels differ and V falls towards 0. The thesis writes
    |I_t - Î_{t+k}| for an RGB difference without saying how the channels
    are combined; ``reduction`` makes that explicit.

    Args:
        img_t (Tensor): Frames t, shape (N, 3, H, W).
        warped_img (Tensor): Frames t+k warped to t, shape (N, 3, H, W).
        reduction (str): How the per-channel differences Δ_c become one
            number per pixel: 'l1' = Σ_c |Δ_c| (the L1 norm of the RGB
            difference), 'mean' = mean_c |Δ_c|, or 'abs_sum' = |Σ_c Δ_c|
            (the official code, where opposite channel errors cancel).
            Defaults to 'l1'.

    Returns:
        Tensor: V of shape (N, 1, H, W), in (0, 1].
    """
    diff = img_t - warped_img
    if reduction == 'l1':
        distance = diff.abs().sum(dim=1, keepdim=True)
    elif reduction == 'mean':
        distance = diff.abs().mean(dim=1, keepdim=True)
    else:
        distance = diff.sum(dim=1, keepdim=True).abs()
    return torch.exp(-distance)


@MODELS.register_module()
class MotionGuidedTemporalLoss(BaseDistillLoss):
    """Motion-guided temporal loss (TL) of ch. 5 of Liu's thesis.

    `Efficient Semantic Video Segmentation with Per-frame Inference
    <https://arxiv.org/abs/2002.11433>`_ (ECCV 2020), eq. (1); thesis
    eq. (5.1), lines 1659-1665. One network's predictions on frames t and
    t+k must agree where the flow says the pixels correspond:

    .. math::
        \\ell_{tl} = w \\cdot \\frac{1}{B N} \\sum_{b, i} V^{(i)}
        \\, \\| q_t^i - \\hat q_{t+k \\to t}^i \\|_2^2,
        \\qquad V = \\exp(-|I_t - \\hat I_{t+k}|)

    where q are class probabilities (softmax over classes), q̂ and Î are
    frame t+k's probabilities and image backward-warped to frame t with the
    flow M_{t->t+k} (:func:`mmskd.models.flow.flow_warp`), the squared norm
    is summed over classes and the mean runs over the N positions and the B
    pairs of the batch. Positions whose flow points out of frame t+k have no
    counterpart: they get V = 0 (counted as occluded) and stay in the
    denominator N, as in eq. (5.1).

    The term is not a student/teacher comparison: it regularises one
    network (the teacher in its pre-training, the student in distillation),
    and gradients reach both of its predictions unless ``detach_warped``.
    The flow and the mask are constants (no gradient); the loss runs in
    float32 with autocast off.

    Predictions at a lower resolution than the frames (e.g. 1/8) are
    bilinearly upsampled (``align_corners=False``) to the flow's size
    before the softmax, as the official code upsamples its logits: the flow
    is in pixels of the frames.

    Args:
        use_logits (bool): Compare logits instead of class probabilities
            (the official code; the thesis uses probabilities). Defaults to
            False.
        mask_reduction (str): How |I_t - Î_{t+k}| reduces the RGB
            channels, see :func:`occlusion_mask`. The mask is computed on
            the images as given, so its sharpness depends on their scale:
            [0, 1] images are the thesis's reading; mean/std-normalised
            images (the data preprocessor's output, the official code) make
            it about 4x sharper. Defaults to 'l1'.
        detach_warped (bool): Stop the gradient through the warped
            prediction q̂, so only frame t's prediction is pulled. The
            thesis does not say; the official code does not detach.
            Defaults to False.
        loss_weight (float): Weight w of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 use_logits: bool = False,
                 mask_reduction: str = 'l1',
                 detach_warped: bool = False,
                 loss_weight: float = 1.0) -> None:
        super().__init__(loss_weight)
        self.use_logits = bool(use_logits)
        self.mask_reduction = validate_choice(mask_reduction, MASK_REDUCTIONS,
                                              'mask_reduction')
        self.detach_warped = bool(detach_warped)

    def forward(self, preds_t: Tensor, preds_tk: Tensor, img_t: Tensor,
                img_tk: Tensor, flow: Tensor) -> Tensor:
        """Compute the weighted temporal loss of a batch of frame pairs.

        Args:
            preds_t (Tensor): Logits of frame t, shape (B, C, h, w).
            preds_tk (Tensor): Logits of frame t+k, same shape.
            img_t (Tensor): Frames t, shape (B, 3, H, W).
            img_tk (Tensor): Frames t+k, shape (B, 3, H, W).
            flow (Tensor): Flow from frame t to frame t+k, shape
                (B, 2, H, W), (dx, dy) in pixels of the frames.

        Returns:
            Tensor: The scalar float32 loss.

        Raises:
            ValueError: If the shapes do not fit together.
        """
        self._check_shapes(preds_t, preds_tk, img_t, img_tk, flow)
        return self.weighted(self.temporal_loss, preds_t, preds_tk, img_t,
                             img_tk, flow)

    def temporal_loss(self, preds_t: Tensor, preds_tk: Tensor, img_t: Tensor,
                      img_tk: Tensor, flow: Tensor) -> Tensor:
        """The unweighted loss, in float32.

        Args:
            preds_t, preds_tk, img_t, img_tk, flow (Tensor): The inputs of
                :meth:`forward`.

        Returns:
            Tensor: The masked mean squared distance of the predictions.
        """
        flow = flow.detach().float()
        probs = []
        for preds in (preds_t, preds_tk):
            preds = resize_to(preds.float(), flow.shape[-2:])
            probs.append(preds if self.use_logits else preds.softmax(1))
        prob_t, prob_tk = probs
        warped = flow_warp(prob_tk, flow)
        if self.detach_warped:
            warped = warped.detach()
        with torch.no_grad():
            warped_img = flow_warp(img_tk.float(), flow)
            mask = occlusion_mask(img_t.float(), warped_img,
                                  self.mask_reduction)
            mask = mask * warp_valid_mask(flow)
        sq_dist = (prob_t - warped).square().sum(dim=1, keepdim=True)
        return (mask * sq_dist).mean()

    @staticmethod
    def _check_shapes(preds_t: Tensor, preds_tk: Tensor, img_t: Tensor,
                      img_tk: Tensor, flow: Tensor) -> None:
        """Check that predictions, frames and flow belong together.

        Args:
            preds_t (Tensor): Logits of frame t.
            preds_tk (Tensor): Logits of frame t+k.
            img_t (Tensor): Frames t.
            img_tk (Tensor): Frames t+k.
            flow (Tensor): Flow from t to t+k.

        Raises:
            ValueError: For non-4-D or mismatched predictions or frames, or
                a flow that is not (B, 2, H, W) for frames of size (H, W).
        """
        for name, first, second in (('logits', preds_t, preds_tk),
                                    ('frames', img_t, img_tk)):
            if first.dim() != 4 or first.shape != second.shape:
                raise ValueError(
                    f'MotionGuidedTemporalLoss: the {name} of frames t and '
                    't+k must be (B, C, H, W) maps of one shape, but have '
                    f'shapes {tuple(first.shape)} and {tuple(second.shape)}.')
        if preds_t.shape[0] != img_t.shape[0]:
            raise ValueError(
                f'MotionGuidedTemporalLoss: {preds_t.shape[0]} predictions '
                f'but {img_t.shape[0]} frames. Pass the frames the '
                'predictions were made on, one per prediction.')
        check_flow(flow, img_t.shape[-2:], img_t.shape[0],
                   'MotionGuidedTemporalLoss: the flow')
