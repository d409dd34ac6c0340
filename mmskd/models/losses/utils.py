# Copyright (c) mmskd contributors. All rights reserved.
"""Input checks and float32 preparation shared by the distillation losses.

Every loss compares a student map with a teacher map of the same layout
``(N, C, H, W)``. The helpers here make a mismatch fail loudly instead of
being broadcast silently, keep the teacher out of the autograd graph, and run
the loss in float32 so that mixed-precision training cannot overflow the
exponentials or lose the small differences the losses are made of.
"""
from typing import Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor


def check_pair(preds_S: Tensor,
               preds_T: Tensor,
               loss_name: str = 'loss') -> None:
    """Check that a student/teacher pair are 4-D maps of the same batch size.

    Args:
        preds_S (Tensor): The student map, expected shape (N, Cs, Hs, Ws).
        preds_T (Tensor): The teacher map, expected shape (N, Ct, Ht, Wt).
        loss_name (str): The loss name used in error messages.
            Defaults to 'loss'.

    Raises:
        ValueError: If either map is not 4-D or the batch sizes differ.
    """
    for role, preds in (('student', preds_S), ('teacher', preds_T)):
        if preds.dim() != 4:
            raise ValueError(
                f'{loss_name} expects (N, C, H, W) maps, but the {role} map '
                f'has shape {tuple(preds.shape)}. Point distiller.{role}_'
                'recorders at a module that outputs such a map (e.g. '
                "'decode_head.conv_seg' or a neck level).")
    if preds_S.shape[0] != preds_T.shape[0]:
        raise ValueError(
            f'{loss_name}: the student batch size {preds_S.shape[0]} '
            f'(shape {tuple(preds_S.shape)}) differs from the teacher batch '
            f'size {preds_T.shape[0]} (shape {tuple(preds_T.shape)}). The '
            'two maps must come from the same images: record, in both '
            'recorders, a module that sees the whole batch (and, with '
            '`record_idx`, the same call of it).')


def validate_choice(value: str, choices: Sequence[str], name: str) -> str:
    """Check that an option of a loss is one of its known values.

    Args:
        value (str): The value from the config.
        choices (Sequence[str]): The values the loss implements.
        name (str): The argument name used in the error message.

    Returns:
        str: ``value`` unchanged.

    Raises:
        ValueError: If ``value`` is not in ``choices``.
    """
    if value not in choices:
        raise ValueError(
            f'{name} must be one of {choices}, but got {value!r}.')
    return value


def validate_tau(tau: float) -> float:
    """Check that a softmax temperature is a positive number.

    Args:
        tau (float): The temperature.

    Returns:
        float: ``tau`` as a float.

    Raises:
        ValueError: If ``tau`` is not positive.
    """
    if not tau > 0:
        raise ValueError(f'tau must be a positive number, but got {tau!r}.')
    return float(tau)


def align_spatial(preds_S: Tensor,
                  preds_T: Tensor,
                  resize_student: bool,
                  loss_name: str = 'loss') -> Tensor:
    """Bring the student map to the teacher's spatial size, or refuse to.

    Students often run at a different output stride than their teacher.
    Resizing is a modelling choice, so it only happens when asked for; an
    unexpected mismatch is an error rather than a broadcast.

    Args:
        preds_S (Tensor): The student map of shape (N, Cs, Hs, Ws).
        preds_T (Tensor): The teacher map of shape (N, Ct, Ht, Wt).
        resize_student (bool): Whether to resize the student map to
            (Ht, Wt) with bilinear interpolation (``align_corners=False``)
            when the sizes differ.
        loss_name (str): The loss name used in error messages.
            Defaults to 'loss'.

    Returns:
        Tensor: The student map with spatial size (Ht, Wt).

    Raises:
        ValueError: If the maps are not 4-D, their batch sizes differ, or
            their spatial sizes differ while ``resize_student`` is False.
    """
    check_pair(preds_S, preds_T, loss_name)
    size_T = preds_T.shape[-2:]
    if preds_S.shape[-2:] == size_T:
        return preds_S
    if not resize_student:
        raise ValueError(
            f'{loss_name}: the student map of shape {tuple(preds_S.shape)} '
            f'and the teacher map of shape {tuple(preds_T.shape)} have '
            'different spatial sizes. Set resize_student=True to resize the '
            "student map to the teacher's size (bilinear, "
            'align_corners=False), or distill maps of equal size.')
    return resize_to(preds_S, size_T)


def resize_to(maps: Tensor, size: Sequence[int]) -> Tensor:
    """Bilinearly resize maps to ``size``, or return them if already there.

    The one resize of the losses, with ``align_corners=False`` (mmseg's
    default for its heads' logits too): pixels are areas, and the resized
    map covers the same image area as the original.

    Args:
        maps (Tensor): Maps of shape (N, C, H, W).
        size (Sequence[int]): The target (height, width).

    Returns:
        Tensor: The maps at ``size``; ``maps`` itself if no resize is needed.
    """
    if tuple(maps.shape[-2:]) == tuple(size):
        return maps
    return F.interpolate(maps, size=size, mode='bilinear', align_corners=False)


def prepare_pair(preds_S: Tensor,
                 preds_T: Tensor,
                 resize_student: bool,
                 loss_name: str = 'loss') -> Tuple[Tensor, Tensor]:
    """Validate a pair, detach the teacher, cast to float32, align sizes.

    Call it inside :func:`autocast_disabled` so the resize runs in float32.

    Args:
        preds_S (Tensor): The student map of shape (N, Cs, Hs, Ws).
        preds_T (Tensor): The teacher map of shape (N, Ct, Ht, Wt).
        resize_student (bool): See :func:`align_spatial`.
        loss_name (str): The loss name used in error messages.
            Defaults to 'loss'.

    Returns:
        Tuple[Tensor, Tensor]: The float32 student map resized to (Ht, Wt)
        if needed, and the float32 teacher map cut from the autograd graph.
    """
    # The teacher is a fixed target: even if its outputs require grad (e.g.
    # a teacher left in train mode), no gradient may flow into it.
    preds_T = preds_T.detach().float()
    preds_S = align_spatial(preds_S.float(), preds_T, resize_student,
                            loss_name)
    return preds_S, preds_T
