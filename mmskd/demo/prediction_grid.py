# Copyright (c) mmskd contributors. All rights reserved.
"""Several segmentors' predictions on several images, as one figure (the
demo's ``predictions.png``)."""
from typing import Dict, Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.registry import VISUALIZERS
from torch import nn

# mmskd.visualization registers mmskd.DistillVisualizer, built below.
import mmskd.visualization  # noqa: F401
from mmskd.apis import predict_images


def save_prediction_grid(models: Dict[str, nn.Module],
                         images: Sequence[str],
                         out_file: str,
                         ground_truth: Optional[Sequence[str]] = None,
                         dataset_meta: Optional[dict] = None,
                         tile_size: int = 256) -> np.ndarray:
    """Write one row per image: the image, its labels, each model's labels.

    Args:
        models (dict): Column title -> a model from
            :func:`~mmskd.apis.init_model` (a distill model shows
            its student).
        images (Sequence[str]): Image paths.
        out_file (str): The PNG to write.
        ground_truth (Sequence[str], optional): Label map files, one per
            image, shown as a ``ground truth`` column.
        dataset_meta (dict, optional): ``classes`` and ``palette``; by
            default mmseg's Cityscapes ones.
        tile_size (int): Longest side of each tile. Defaults to 256.

    Returns:
        np.ndarray: The figure (RGB).
    """
    labels = {}
    if ground_truth is not None:
        labels['ground truth'] = [
            torch.from_numpy(mmcv.imread(path, 'unchanged'))
            for path in ground_truth
        ]
    for title, model in models.items():
        labels[title] = predict_images(model, images)
    # No backends: the figure goes to out_file only.
    visualizer = VISUALIZERS.build(
        dict(
            type='mmskd.DistillVisualizer',
            name=f'mmskd_prediction_grid_{id(labels)}',
            tile_size=tile_size))
    meta = dataset_meta or {}
    visualizer.set_dataset_meta(
        classes=meta.get('classes'), palette=meta.get('palette'))
    figure = visualizer.add_prediction_grid(
        'predictions',
        [mmcv.imread(image, channel_order='rgb') for image in images],
        labels)
    mmcv.imwrite(mmcv.rgb2bgr(figure), out_file)
    return figure
