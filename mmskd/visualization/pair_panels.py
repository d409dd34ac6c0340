# Copyright (c) mmskd contributors. All rights reserved.
"""The panels of one image of a distillation pair, from a :class:`PairRecord`.

Which maps a panel shows follows the config's own terms: the affinity rows
come from the first pair-wise term (its node size and pooling), the channel
distributions from the first channel-wise term (its temperature). A config
without such a term shows the maps of its first term instead (for the
channels, the first whose teacher and student have the same channels), so
a CWD-only config still gets an affinity panel of its score maps.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from torch import Tensor, nn

from mmskd.models.losses import ChannelWiseDivergence, PairWiseAffinityLoss
from .distill_maps import (affinity_row, channel_distributions,
                           channel_divergences, node_of, top_channels)
from .distill_visualizer import DistillVisualizer


@dataclass
class TermMaps:
    """The two maps one distillation term compares, for one image.

    Args:
        loss (nn.Module): The term (e.g. ``PairWiseAffinityLoss``).
        student (Tensor): The student's map, (C, h, w), connector applied.
        teacher (Tensor): The teacher's map, (C, h, w).
    """
    loss: nn.Module
    student: Tensor
    teacher: Tensor


@dataclass
class PairRecord:
    """Teacher and student on one image.

    Args:
        image (np.ndarray): The image as read, RGB uint8, (H, W, 3).
        teacher_pred (Tensor): The teacher's labels, (H, W).
        student_pred (Tensor): The student's labels, (H, W).
        terms (dict): Term name -> :class:`TermMaps`.
        critic_scores (dict, optional): ``teacher`` and ``student``
            discriminator scores D(Q | I), when the model has a
            discriminator.
    """
    image: np.ndarray
    teacher_pred: Tensor
    student_pred: Tensor
    terms: Dict[str, TermMaps]
    critic_scores: Optional[Dict[str, float]] = None


def pick_term(terms: Dict[str, TermMaps],
              loss_type: type,
              same_channels: bool = False) -> Optional[Tuple[str, TermMaps]]:
    """The first term of ``loss_type``, else the first usable term.

    Args:
        terms (dict): Term name -> :class:`TermMaps`.
        loss_type (type): The preferred loss class.
        same_channels (bool): Only accept terms whose two maps have the same
            channels. Defaults to False.

    Returns:
        tuple, optional: (name, maps), or None if no term fits.
    """
    usable = [(name, maps) for name, maps in terms.items()
              if not same_channels or maps.student.shape == maps.teacher.shape]
    for name, maps in usable:
        if isinstance(maps.loss, loss_type):
            return name, maps
    return usable[0] if usable else None


def draw_pair(visualizer: DistillVisualizer,
              record: PairRecord,
              name: str,
              pixel: Optional[Sequence[float]] = None,
              channels: Optional[Sequence[int]] = None,
              num_channels: int = 3,
              step: int = 0) -> Dict[str, dict]:
    """Draw the predictions, affinity and channel panels of one image.

    Args:
        visualizer (DistillVisualizer): Draws and hands the panels to its
            backends as ``{name}_predictions``, ``{name}_affinity`` and
            ``{name}_channels``.
        record (PairRecord): From :func:`run_pair`.
        name (str): Prefix of the panel names (e.g. the image's stem).
        pixel (Sequence[float], optional): (y, x) of the affinity's pixel in
            the image; defaults to its centre.
        channels (Sequence[int], optional): Channels of the channel panel;
            defaults to the teacher's ``num_channels`` largest by mean.
        num_channels (int): See ``channels``. Defaults to 3.
        step (int): The step for the backends. Defaults to 0.

    Returns:
        dict: Per panel, what it shows (term, node, channels, divergences,
        disagreement, critic scores), for a summary.
    """
    image = record.image
    height, width = image.shape[:2]
    summary: Dict[str, dict] = {}
    visualizer.add_predictions(f'{name}_predictions', image,
                               record.teacher_pred, record.student_pred,
                               record.critic_scores, step)
    summary['predictions'] = dict(
        disagreement=float(
            (record.teacher_pred != record.student_pred).float().mean()),
        critic_scores=record.critic_scores)

    term = pick_term(record.terms, PairWiseAffinityLoss)
    if term is not None:
        term_name, maps = term
        node_size = getattr(maps.loss, 'node_size', (1, 1))
        pool = getattr(maps.loss, 'pool', 'avg')
        pixel = tuple(pixel) if pixel is not None else (height / 2,
                                                        width / 2)
        rows, nodes = [], []
        # Each map on its own node grid: a term that resizes the student
        # may record it at another size than the teacher.
        for feats in (maps.teacher, maps.student):
            grid = [-(-size // cells)
                    for size, cells in zip(feats.shape[-2:], node_size)]
            nodes.append(node_of(pixel, (height, width), grid))
            rows.append(affinity_row(feats, nodes[-1], node_size, pool))
        visualizer.add_affinity(f'{name}_affinity', image, *rows, pixel, step)
        summary['affinity'] = dict(
            term=term_name, pixel=list(pixel), node=list(nodes[0]),
            node_size=list(node_size))
        if rows[0].shape == rows[1].shape:
            summary['affinity']['mean_abs_difference'] = float(
                (rows[0] - rows[1]).abs().mean())

    term = pick_term(record.terms, ChannelWiseDivergence, same_channels=True)
    if term is not None:
        term_name, maps = term
        tau = getattr(maps.loss, 'tau', 1.0)
        picked = tuple(channels) if channels is not None else \
            top_channels(maps.teacher, num_channels)
        distributions = [
            channel_distributions(m, picked, tau)
            for m in (maps.teacher, maps.student)
        ]
        divergences = channel_divergences(maps.student, maps.teacher, picked,
                                          tau)
        visualizer.add_channel_maps(f'{name}_channels', image, picked,
                                    *distributions, divergences, step)
        summary['channels'] = dict(
            term=term_name, tau=tau, channels=list(picked),
            divergences=[float(d) for d in divergences])
    if record.critic_scores is not None:
        visualizer.add_scalars(
            {f'{name}/critic_{role}': score
             for role, score in record.critic_scores.items()}, step)
    return summary


def stem_of(path: str) -> str:
    """A file name without folders and extension, for panel names.

    Args:
        path (str): A file path.

    Returns:
        str: E.g. ``'city_000000'`` for ``'data/city_000000.png'``.
    """
    return osp.splitext(osp.basename(path))[0]
