# Copyright (c) mmskd contributors. All rights reserved.
"""mmseg's visualiser with the panels of a teacher/student pair."""
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.visualization import SegLocalVisualizer
from torch import Tensor

from mmskd.registry import VISUALIZERS

GAP = 4  # white pixels between the tiles of a panel


@VISUALIZERS.register_module()
class DistillVisualizer(SegLocalVisualizer):
    """A ``SegLocalVisualizer`` that draws what distillation compares.

    Every ``add_*`` method composes one RGB panel of tiles with mmengine's
    drawing primitives (``draw_featmap``, ``draw_binary_masks``,
    ``draw_texts``, mmseg's label colouring) and hands it to the
    visualiser's ``vis_backends`` under ``name`` and ``step``: PNG files
    with ``LocalVisBackend``, TensorBoard or W&B images with theirs. The
    panels:

    - :meth:`add_predictions`: image, teacher labels, student labels and
      where they disagree (with the discriminator's scores, if given);
    - :meth:`add_affinity`: one row of the pair-wise affinity graph of the
      teacher and of the student, as heat maps on one colour scale;
    - :meth:`add_channel_maps`: the channel-wise term's spatial softmax of
      a few channels, teacher beside student, on one scale per channel;
    - :meth:`add_prediction_grid`: several models' labels on several images.

    Args:
        name (str): The instance name. Defaults to ``'visualizer'``.
        tile_size (int): Images are scaled to this longest side (keeping
            the ratio) before drawing, so tiles of small and large images
            are alike legible. Defaults to 512.
        **kwargs: The arguments of ``SegLocalVisualizer`` (``vis_backends``,
            ``save_dir``, ``alpha``, ...).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 tile_size: int = 512,
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.tile_size = tile_size

    # Tiles ------------------------------------------------------------
    def fit(self, image: np.ndarray) -> np.ndarray:
        """``image`` scaled to ``tile_size`` on its longest side.

        Args:
            image (np.ndarray): An RGB image, (H, W, 3).

        Returns:
            np.ndarray: The image, or its scaled copy.
        """
        scale = self.tile_size / max(image.shape[:2])
        return image if scale == 1 else mmcv.imrescale(image, scale)

    def titled(self, tile: np.ndarray, title: str) -> np.ndarray:
        """``tile`` with ``title`` written into its top-left corner."""
        self.set_image(tile)
        self.draw_texts(
            title,
            np.array([2, 2]),
            colors='white',
            bboxes=dict(facecolor='black', alpha=0.6, pad=1, linewidth=0))
        return self.get_image()

    def draw_labels(self, image: np.ndarray, labels: Tensor,
                    title: str) -> np.ndarray:
        """A label map coloured with the dataset's palette over ``image``.

        Args:
            image (np.ndarray): The tile's image, (h, w, 3).
            labels (Tensor): Labels at any size, (H, W); resized (nearest)
                to the tile.
            title (str): The tile's title.

        Returns:
            np.ndarray: The tile.
        """
        labels = _resize_labels(labels, image.shape[:2])
        drawn = self._draw_sem_seg(image, PixelData(data=labels[None]),
                                   self.dataset_meta['classes'],
                                   self.dataset_meta['palette'], False)
        return self.titled(drawn, title)

    def draw_disagreement(self, image: np.ndarray, first: Tensor,
                          second: Tensor, title: str) -> np.ndarray:
        """``image`` with the pixels where two label maps differ in red."""
        mask = _resize_labels(first != second, image.shape[:2]).bool()
        self.set_image(image)
        if mask.any():
            self.draw_binary_masks(
                mask[None].numpy(), colors='red', alphas=0.7)
        share = float(mask.float().mean())
        return self.titled(self.get_image(), f'{title} {share:.1%}')

    def draw_heatmaps(self, image: np.ndarray, maps: Sequence[Tensor],
                      alpha: float = 0.6) -> List[np.ndarray]:
        """Heat maps of ``maps`` over ``image``, on one colour scale.

        ``draw_featmap`` spreads the colour map over the range of what it
        draws, so the maps are drawn as one image side by side and cut
        apart again: equal values get equal colours in every tile.

        Args:
            image (np.ndarray): The tile's image, (h, w, 3).
            maps (Sequence[Tensor]): Maps of any one size, (H', W') each;
                resized (nearest: nodes stay visible) to the tile.
            alpha (float): Opacity of the heat map. Defaults to 0.6.

        Returns:
            list[np.ndarray]: One tile per map.
        """
        height, width = image.shape[:2]
        resized = [
            F.interpolate(m[None, None].float().cpu(), (height, width))[0]
            for m in maps
        ]
        drawn = self.draw_featmap(
            torch.cat(resized, dim=2),
            np.concatenate([image] * len(maps), axis=1),
            channel_reduction='squeeze_mean',
            alpha=alpha)
        return [drawn[:, i * width:(i + 1) * width] for i in range(len(maps))]

    # Panels -----------------------------------------------------------
    def add_predictions(self,
                        name: str,
                        image: np.ndarray,
                        teacher: Tensor,
                        student: Tensor,
                        critic_scores: Optional[Dict[str, float]] = None,
                        step: int = 0) -> np.ndarray:
        """Image | teacher | student | disagreement.

        Args:
            name (str): The panel's name for the backends.
            image (np.ndarray): RGB image, (H, W, 3).
            teacher (Tensor): Teacher labels, (H, W).
            student (Tensor): Student labels, (H, W).
            critic_scores (dict, optional): ``teacher``/``student`` scores of
                the discriminator, written into the titles.
            step (int): The step for the backends. Defaults to 0.

        Returns:
            np.ndarray: The panel.
        """
        image = self.fit(image)
        titles = dict(teacher='teacher', student='student')
        for role, score in (critic_scores or {}).items():
            titles[role] += f'  D(Q|I) {score:+.3f}'
        panel = _hstack([
            self.titled(image, 'image'),
            self.draw_labels(image, teacher, titles['teacher']),
            self.draw_labels(image, student, titles['student']),
            self.draw_disagreement(image, teacher, student, 'disagree')
        ])
        self.add_image(name, panel, step)
        return panel

    def add_affinity(self,
                     name: str,
                     image: np.ndarray,
                     teacher_row: Tensor,
                     student_row: Tensor,
                     pixel: Sequence[float],
                     step: int = 0) -> np.ndarray:
        """The affinity of one pixel's node to all nodes, teacher | student.

        Args:
            name (str): The panel's name for the backends.
            image (np.ndarray): RGB image, (H, W, 3).
            teacher_row (Tensor): The teacher's row of the graph, (h, w).
            student_row (Tensor): The student's row, (h, w).
            pixel (Sequence[float]): (y, x) of the pixel in ``image``.
            step (int): The step for the backends. Defaults to 0.

        Returns:
            np.ndarray: The panel.
        """
        tile = self.fit(image)
        scale = tile.shape[0] / image.shape[0]
        tiles = self.draw_heatmaps(tile, [teacher_row, student_row])
        titled = []
        for drawn, role, row in zip(tiles, ('teacher', 'student'),
                                    (teacher_row, student_row)):
            self.set_image(drawn)
            self.draw_points(
                np.array([[pixel[1] * scale, pixel[0] * scale]]),
                colors='white',
                marker='x',
                sizes=np.array([80]))
            titled.append(
                self.titled(
                    self.get_image(), f'{role} affinity '
                    f'[{float(row.min()):+.2f}, {float(row.max()):+.2f}]'))
        panel = _hstack(titled)
        self.add_image(name, panel, step)
        return panel

    def add_channel_maps(self,
                         name: str,
                         image: np.ndarray,
                         channels: Sequence[int],
                         teacher: Tensor,
                         student: Tensor,
                         divergences: Tensor,
                         step: int = 0) -> np.ndarray:
        """One row per channel: teacher | student spatial distributions.

        Args:
            name (str): The panel's name for the backends.
            image (np.ndarray): RGB image, (H, W, 3).
            channels (Sequence[int]): The channels drawn.
            teacher (Tensor): Teacher distributions, (k, h, w).
            student (Tensor): Student distributions, (k, h, w).
            divergences (Tensor): The k per-channel divergences.
            step (int): The step for the backends. Defaults to 0.

        Returns:
            np.ndarray: The panel.
        """
        tile = self.fit(image)
        rows = []
        for index, channel in enumerate(channels):
            pair = self.draw_heatmaps(tile, [teacher[index], student[index]])
            rows.append(
                _hstack([
                    self.titled(pair[0], f'teacher ch {channel}'),
                    self.titled(
                        pair[1], f'student ch {channel}  '
                        f'KL {float(divergences[index]):.3f}')
                ]))
        panel = _vstack(rows)
        self.add_image(name, panel, step)
        return panel

    def add_prediction_grid(self,
                            name: str,
                            images: Sequence[np.ndarray],
                            labels: Dict[str, Sequence[Tensor]],
                            step: int = 0) -> np.ndarray:
        """One row per image: the image, then each entry of ``labels``.

        Args:
            name (str): The panel's name for the backends.
            images (Sequence[np.ndarray]): RGB images.
            labels (dict): Column title -> one label map per image (e.g.
                ground truth, teacher, student, distilled student).
            step (int): The step for the backends. Defaults to 0.

        Returns:
            np.ndarray: The panel.
        """
        rows = []
        for index, image in enumerate(images):
            image = self.fit(image)
            rows.append(
                _hstack([self.titled(image, 'image')] + [
                    self.draw_labels(image, maps[index], title)
                    for title, maps in labels.items()
                ]))
        panel = _vstack(rows)
        self.add_image(name, panel, step)
        return panel


def _resize_labels(labels: Tensor, size: Sequence[int]) -> Tensor:
    """A label (or mask) map resized to ``size`` by nearest neighbour."""
    labels = torch.as_tensor(labels).cpu()
    if tuple(labels.shape) == tuple(size):
        return labels
    resized = F.interpolate(labels[None, None].float(), tuple(size))
    return resized[0, 0].to(labels.dtype)


def _hstack(tiles: Sequence[np.ndarray]) -> np.ndarray:
    """Tiles of one height side by side, with white gaps."""
    gap = np.full((tiles[0].shape[0], GAP, 3), 255, np.uint8)
    parts = [part for tile in tiles for part in (tile, gap)][:-1]
    return np.concatenate(parts, axis=1)


def _vstack(rows: Sequence[np.ndarray]) -> np.ndarray:
    """Rows of one width one above the other, with white gaps."""
    gap = np.full((GAP, rows[0].shape[1], 3), 255, np.uint8)
    parts = [part for row in rows for part in (row, gap)][:-1]
    return np.concatenate(parts, axis=0)
