# Copyright (c) mmskd contributors. All rights reserved.
"""The student's and the teacher's input resolutions of a distillation."""
from typing import Optional, Tuple

import torch.nn.functional as F
from torch import Tensor

ROLES = ('student', 'teacher')


class InputScales:
    """Resize a batch for the student or the teacher, once per step.

    The cheapest students run at a fraction of the teacher's resolution.
    The dataloader gives one batch; each network sees it resized by its own
    scale (bilinear, ``align_corners=False``: what mmcv's ``Resize`` with
    cv2's linear interpolation gives an image). Labels stay at the batch's
    size: mmseg's heads upsample their logits to the label map, in training
    as in prediction.

    In training the scaled size must be whole pixels and a multiple of
    ``size_divisor`` (the networks' output stride, 8 for the ``-d8``
    models): each recorded map then covers the image exactly, and a
    student's map and the teacher's differ by the ratio of their scales,
    which is what the distillation terms align by. In prediction the size is
    rounded, since test images come in every size and no map is paired.

    Args:
        student (float): The student's scale. Defaults to 1.0.
        teacher (float): The teacher's scale. Defaults to 1.0.
        size_divisor (int): What every scaled training size must be a
            multiple of. Defaults to 8.

    Raises:
        ValueError: For a scale that is not a positive number, or a divisor
            that is not a positive int.
    """

    def __init__(self,
                 student: float = 1.0,
                 teacher: float = 1.0,
                 size_divisor: int = 8) -> None:
        for role, scale in zip(ROLES, (student, teacher)):
            if isinstance(
                    scale,
                    bool) or not isinstance(scale,
                                            (int, float)) or not scale > 0:
                raise ValueError(
                    f'input_scales.{role} must be a positive number (the '
                    f'fraction of the batch size the {role} sees, e.g. 0.5), '
                    f'but got {scale!r}.')
        if isinstance(
                size_divisor,
                bool) or not isinstance(size_divisor, int) or size_divisor < 1:
            raise ValueError('input_scales.size_divisor must be a positive '
                             "int (the networks' output stride, e.g. 8), but "
                             f'got {size_divisor!r}.')
        self.scales = dict(student=float(student), teacher=float(teacher))
        self.size_divisor = size_divisor

    @classmethod
    def build(cls, cfg: Optional[dict]) -> 'InputScales':
        """The scales of an algorithm's ``input_scales`` setting.

        Args:
            cfg (dict, optional): ``dict(student=..., teacher=...,
                size_divisor=...)``, any key left out at its default; None
                for both networks at the batch's size.

        Returns:
            InputScales: The scales.

        Raises:
            ValueError: For a key that is none of those.
        """
        cfg = dict(cfg or {})
        unknown = sorted(set(cfg) - {*ROLES, 'size_divisor'})
        if unknown:
            raise ValueError(
                f'input_scales has no setting {", ".join(unknown)}; it takes '
                "'student', 'teacher' and 'size_divisor'.")
        return cls(**cfg)

    @property
    def differ(self) -> bool:
        """Whether the networks see the batch at different sizes."""
        return self.scales['student'] != self.scales['teacher']

    def is_identity(self, role: str) -> bool:
        """Whether ``role`` sees the batch as it is."""
        return self.scales[role] == 1.0

    def for_training(self, role: str, inputs: Tensor) -> Tensor:
        """The training batch at ``role``'s size.

        Args:
            role (str): ``'student'`` or ``'teacher'``.
            inputs (Tensor): The preprocessed batch, (N, C, H, W).

        Returns:
            Tensor: The batch at (H, W) times the role's scale.

        Raises:
            ValueError: If that size is not whole pixels, or not a multiple
                of ``size_divisor``.
        """
        if self.is_identity(role) and not self.differ:
            return inputs
        # The network at the batch's size is checked too: its maps must
        # cover the image as exactly as the other network's.
        size = self.training_size(role, inputs.shape[-2:])
        return inputs if self.is_identity(role) else _resize(inputs, size)

    def for_prediction(self, role: str, inputs: Tensor) -> Tensor:
        """The batch at ``role``'s size, rounded to whole pixels.

        Args:
            role (str): ``'student'`` or ``'teacher'``.
            inputs (Tensor): The preprocessed batch, (N, C, H, W).

        Returns:
            Tensor: The resized batch.
        """
        if self.is_identity(role):
            return inputs
        return _resize(inputs, self.prediction_size(role, inputs.shape[-2:]))

    def prediction_size(self, role: str, size: Tuple[int,
                                                     int]) -> Tuple[int, int]:
        """The size ``role`` predicts at: scaled, rounded to whole pixels.

        Halves round up, as mmcv's ``rescale_size`` rounds (Python's
        ``round`` would take 2.5 to 2 and 3.5 to 4).

        Args:
            role (str): ``'student'`` or ``'teacher'``.
            size (tuple[int, int]): An image's (H, W).

        Returns:
            tuple[int, int]: The scaled (H, W), each side at least 1.
        """
        scale = self.scales[role]
        return tuple(max(1, int(side * scale + 0.5)) for side in size)

    def training_size(self, role: str, size: Tuple[int,
                                                   int]) -> Tuple[int, int]:
        """The size ``role`` trains at, checked.

        Args:
            role (str): ``'student'`` or ``'teacher'``.
            size (tuple[int, int]): The batch's (H, W).

        Returns:
            tuple[int, int]: The scaled (H, W).

        Raises:
            ValueError: If it is not whole pixels, or not a multiple of
                ``size_divisor``.
        """
        scale = self.scales[role]
        scaled = [side * scale for side in size]
        whole = all(abs(side - round(side)) < 1e-6 for side in scaled)
        if whole and all(
                round(side) % self.size_divisor == 0 for side in scaled):
            return tuple(round(side) for side in scaled)
        step = self.size_divisor
        raise ValueError(
            f'input_scales.{role}={scale:g} turns the {size[0]}x{size[1]} '
            f'training batch into {scaled[0]:g}x{scaled[1]:g} pixels, which '
            f'is not a whole multiple of size_divisor={step} (the '
            "networks' output stride): the recorded maps would not cover the "
            'image exactly. Crop the batch to a size whose scaled sides are '
            f'multiples of {step} (e.g. crop_size 512x1024 with scale 0.5), '
            'or choose another scale.')


def _resize(inputs: Tensor, size: Tuple[int, int]) -> Tensor:
    """Bilinearly resize a batch (``align_corners=False``)."""
    return F.interpolate(
        inputs, size=size, mode='bilinear', align_corners=False)
