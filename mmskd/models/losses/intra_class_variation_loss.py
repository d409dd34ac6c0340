# Copyright (c) mmskd contributors. All rights reserved.
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmskd.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .unit_vectors import unit_vectors


def labels_at_feature_size(seg_label: Tensor, feats: Tensor,
                           loss_name: str) -> Tensor:
    """Bring a label map to the feature map's size by nearest sampling.

    Args:
        seg_label (Tensor): Integer labels of shape (N, H, W) or
            (N, 1, H, W), e.g. what mmseg's ``_stack_batch_gt`` returns.
        feats (Tensor): The features of shape (N, C, h, w).
        loss_name (str): The loss name used in error messages.

    Returns:
        Tensor: int64 labels of shape (N, h, w) on the features' device.

    Raises:
        ValueError: If the label layout or batch size does not fit.
    """
    if seg_label.dim() == 4 and seg_label.shape[1] == 1:
        seg_label = seg_label[:, 0]
    if seg_label.dim() != 3 or seg_label.shape[0] != feats.shape[0]:
        raise ValueError(
            f'{loss_name} expects seg_label of shape (N, H, W) or '
            f'(N, 1, H, W) with N = {feats.shape[0]} (the feature shape is '
            f'{tuple(feats.shape)}), but got {tuple(seg_label.shape)}.')
    # Nearest sampling keeps labels exact; F.interpolate has no integer
    # kernel, and float32 holds any label below 2**24 exactly.
    resized = F.interpolate(
        seg_label[:, None].to(feats.device, torch.float32),
        size=feats.shape[-2:],
        mode='nearest')
    return resized[:, 0].long()


def group_pixels(labels: Tensor,
                 ignore_index: int,
                 loss_name: str = 'loss') -> Tuple[Tensor, Tensor]:
    """Find the labelled pixels and the (image, class) group of each.

    Args:
        labels (Tensor): int64 labels of shape (N, h, w).
        ignore_index (int): The label of pixels to leave out.
        loss_name (str): The loss name used in error messages.

    Returns:
        Tuple[Tensor, Tensor]: A bool mask (N, h, w) of the labelled pixels
        and, for each of them in mask order, the index of its group; one
        group per class present in each image.

    Raises:
        ValueError: If a labelled pixel has a negative class.
    """
    labelled = labels != ignore_index
    classes = labels[labelled]
    if classes.numel() and int(classes.min()) < 0:
        raise ValueError(
            f'{loss_name}: labels must be class indices >= 0 or '
            f'ignore_index={ignore_index}, but got {int(classes.min())}.')
    image_index = torch.arange(
        labels.shape[0], device=labels.device).view(-1, 1, 1)
    image_of_pixel = image_index.expand_as(labels)[labelled]
    # One integer key per (image, class) pair, then consecutive group ids.
    classes_bound = int(classes.max()) + 1 if classes.numel() else 1
    keys = image_of_pixel * classes_bound + classes
    _, group = torch.unique(keys, return_inverse=True)
    return labelled, group


def prototype_similarity(feats: Tensor, labelled: Tensor,
                         group: Tensor) -> Tensor:
    """Cosine of each labelled pixel's feature to its class prototype.

    The prototype of a class in an image is the mean feature of the pixels
    of that class in that image.

    Args:
        feats (Tensor): Features of shape (N, C, h, w).
        labelled (Tensor): Bool mask (N, h, w) of the pixels to use.
        group (Tensor): The (image, class) group of each labelled pixel, as
            :func:`group_pixels` returns it.

    Returns:
        Tensor: One cosine similarity per labelled pixel, in mask order.
    """
    pixel_feats = feats.permute(0, 2, 3, 1)[labelled]
    num_groups = int(group.max()) + 1
    sums = pixel_feats.new_zeros(num_groups, pixel_feats.shape[1]).index_add(
        0, group, pixel_feats)
    counts = torch.bincount(group, minlength=num_groups)
    prototypes = sums / counts[:, None].to(sums.dtype)
    return (unit_vectors(pixel_feats) *
            unit_vectors(prototypes)[group]).sum(dim=1)


@MODELS.register_module()
class IntraClassVariationLoss(BaseDistillLoss):
    """Intra-class feature variation distillation (IFVD), a CWD baseline.

    Wang et al., `Intra-class Feature Variation Distillation for Semantic
    Segmentation <https://arxiv.org/abs/2008.00113>`_ (ECCV 2020), as Table
    4.1 of Yifan Liu's thesis defines it (``shared/papers/003_*.txt``,
    lines 1276 and 1287: ``phi(x)_i = cos(x_i, sum_{j in S_i} x_j / |S_i|)``,
    S_i the pixels with the same label as pixel i, a 1 x W x H map compared
    by L2; line 1374: "the set of similarity between the feature of each
    pixel and its corresponding class-wise prototype").

    Labels are brought to the feature size by nearest sampling. In each
    image, the prototype of class k is the mean feature of its pixels of
    label k, and each labelled pixel gets the cosine of its feature to its
    class prototype, in the student's and in the teacher's feature space
    separately. The student's map is pulled to the teacher's:

    .. math::
        \\ell_{ifvd} = w \\cdot \\frac{1}{|P|} \\sum_{(n, i) \\in P}
        \\big(\\cos(s_{n,i}, \\bar{s}_{n,y_{n,i}}) -
        \\cos(t_{n,i}, \\bar{t}_{n,y_{n,i}})\\big)^2

    where P is the set of pixels whose label is not ``ignore_index``;
    ignored pixels neither enter a prototype nor the mean. IFVD's released
    code averages over every pixel of the map instead: an ignored pixel
    keeps its own feature as its prototype, so both cosines are 1 and it
    adds 0 to the sum but 1 to the count. Its loss is this one times
    |P| / (N·h·w), the same on fully labelled images and smaller where many
    pixels are ignored. Only cosines are
    compared, so the channel counts may differ and no connector is needed.
    A batch without labelled pixels (e.g. unlabelled images, all
    ``ignore_index``) gives 0 with a zero gradient.

    The label reaches the loss through a recorder of the student's own
    label stacking, e.g. in the distiller config
    ``student_recorders=dict(gt_label=dict(type='MethodOutputs',
    source='mmseg.models.decode_heads.decode_head.BaseDecodeHead.'
    '_stack_batch_gt'))`` and ``seg_label=dict(from_student=True,
    recorder='gt_label')`` in ``loss_forward_mappings``.

    Args:
        ignore_index (int): The label of pixels to leave out. Defaults to
            255 (mmseg's).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_student (bool): See
            :class:`~mmskd.models.losses.BaseDistillLoss`. Defaults to False.
    """

    def __init__(self,
                 ignore_index: int = 255,
                 loss_weight: float = 1.0,
                 resize_student: bool = False) -> None:
        super().__init__(loss_weight, resize_student)
        self.ignore_index = int(ignore_index)

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                seg_label: Tensor) -> Tensor:
        """Compute the weighted intra-class feature variation loss.

        Args:
            preds_S (Tensor): Student features of shape (N, Cs, Hs, Ws).
            preds_T (Tensor): Teacher features of shape (N, Ct, h, w). They
                are detached; no gradient reaches the teacher.
            seg_label (Tensor): Integer labels of shape (N, H, W) or
                (N, 1, H, W), at any resolution (usually the input's).

        Returns:
            Tensor: The scalar float32 loss.
        """
        return self.weighted(
            self.prepared_loss, preds_S, preds_T, seg_label=seg_label)

    def pair_loss(self, preds_S: Tensor, preds_T: Tensor,
                  seg_label: Tensor) -> Tensor:
        """Mean squared difference of the prototype cosines.

        Args:
            preds_S (Tensor): float32 student features, (N, Cs, h, w).
            preds_T (Tensor): float32 teacher features, (N, Ct, h, w).
            seg_label (Tensor): The labels as :meth:`forward` takes them.

        Returns:
            Tensor: The unweighted loss.
        """
        loss_name = type(self).__name__
        labels = labels_at_feature_size(seg_label, preds_T, loss_name)
        labelled, group = group_pixels(labels, self.ignore_index, loss_name)
        if group.numel() == 0:
            # Nothing to compare: a zero that still depends on the student,
            # so that backward() works as for any other batch.
            return preds_S.sum() * 0.0
        return F.mse_loss(
            prototype_similarity(preds_S, labelled, group),
            prototype_similarity(preds_T, labelled, group))
