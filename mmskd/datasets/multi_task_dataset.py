# Copyright (c) mmskd contributors. All rights reserved.
"""Images with a map per task (labels, depth, normals) in one folder each:
NYUD-v2 (40 classes, depth) and SUNRGBD (13 classes, depth, normals)."""
import os.path as osp
from typing import List

import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .data_checks import check_files_exist

# data_prefix key of each task's maps, and the suffix argument of its files.
MAP_KEYS = dict(
    seg_map_path='seg_map_suffix',
    depth_map_path='depth_map_suffix',
    normal_map_path='normal_map_suffix')
WHAT = dict(
    seg_map_path='label map',
    depth_map_path='depth map',
    normal_map_path='normal map')


@DATASETS.register_module()
class MultiTaskDataset(BaseSegDataset):
    """Images and their task maps, one folder per kind, matched by name.

    Layout (each folder set by ``data_prefix``; a task without its key is
    not loaded)::

        data_root/img_path/NAME.jpg         # the images
        data_root/seg_map_path/NAME.png     # uint8 labels (mmseg's)
        data_root/depth_map_path/NAME.png   # uint16 depth in millimetres
        data_root/normal_map_path/NAME.png  # uint8 RGB normals
                                            # (LoadSurfaceNormals)

    Every listed image must have each map its ``data_prefix`` names: a
    missing one is refused when the dataset loads, naming it and the
    layout. The maps are loaded by the pipeline (``LoadAnnotations``,
    ``LoadUInt16DepthAnnotation``, ``LoadSurfaceNormals``); a map of another
    size than its image is refused by ``LoadSurfaceNormals`` (normals) and
    ``MultiTaskRandomResize`` (every map, in training).

    Args:
        img_suffix (str): Suffix of the images. Defaults to ``'.jpg'``.
        seg_map_suffix (str): Of the label maps. Defaults to ``'.png'``.
        depth_map_suffix (str): Of the depth maps. Defaults to ``'.png'``.
        normal_map_suffix (str): Of the normal maps. Defaults to ``'.png'``.
        **kwargs: ``BaseSegDataset`` arguments (``data_root``,
            ``data_prefix``, ``pipeline``, ``reduce_zero_label``,
            ``metainfo``, ...).
    """

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 depth_map_suffix: str = '.png',
                 normal_map_suffix: str = '.png',
                 **kwargs) -> None:
        self.depth_map_suffix = depth_map_suffix
        self.normal_map_suffix = normal_map_suffix
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """One entry per image, with the path of each task's map.

        Returns:
            list[dict]: Data infos (``img_path``, the map paths,
            ``label_map``, ``reduce_zero_label``, ``seg_fields``).

        Raises:
            FileNotFoundError: If the image folder holds no image, or an
                image lacks one of its maps.
        """
        img_dir = self.data_prefix.get('img_path', '')
        names = sorted(
            fileio.list_dir_or_file(
                img_dir,
                list_dir=False,
                suffix=self.img_suffix,
                recursive=True,
                backend_args=self.backend_args))
        if not names:
            raise FileNotFoundError(
                f'{type(self).__name__}: no {self.img_suffix} image in '
                f'{img_dir}. Expected the layout of '
                'mmskd.datasets.MultiTaskDataset')
        data_list = []
        for name in names:
            stem = name[:-len(self.img_suffix)]
            info = dict(
                img_path=osp.join(img_dir, name),
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[])
            for key, suffix in MAP_KEYS.items():
                if self.data_prefix.get(key):
                    info[key] = osp.join(self.data_prefix[key],
                                         stem + getattr(self, suffix))
            data_list.append(info)
        for key in MAP_KEYS:
            if self.data_prefix.get(key) and self.backend_args is None:
                check_files_exist([info[key] for info in data_list],
                                  type(self).__name__, WHAT[key], img_dir,
                                  f'{self.data_prefix[key]}/NAME'
                                  f'{getattr(self, MAP_KEYS[key])}')
        return data_list


@DATASETS.register_module()
class NYUDv2MultiTaskDataset(MultiTaskDataset):
    """NYUD-v2's 1,449 labelled frames (795 train / 654 test) with the 40
    classes of Gupta et al. (label 0, unlabelled, is ignored:
    ``reduce_zero_label=True``) and their depth; see
    :class:`MultiTaskDataset` for the layout and
    ``docs/en/user_guides/2_dataset_prepare.md`` for its preparation."""

    METAINFO = dict(
        classes=('wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table',
                 'door', 'window', 'bookshelf', 'picture', 'counter', 'blinds',
                 'desk', 'shelves', 'curtain', 'dresser', 'pillow', 'mirror',
                 'floor mat', 'clothes', 'ceiling', 'books', 'refrigerator',
                 'television', 'paper', 'towel', 'shower curtain', 'box',
                 'whiteboard', 'person', 'night stand', 'toilet', 'sink',
                 'lamp', 'bathtub', 'bag', 'otherstructure', 'otherfurniture',
                 'otherprop'))

    def __init__(self, reduce_zero_label: bool = True, **kwargs) -> None:
        super().__init__(reduce_zero_label=reduce_zero_label, **kwargs)


@DATASETS.register_module()
class SUNRGBDMultiTaskDataset(MultiTaskDataset):
    """SUNRGBD (5,285 train / 5,050 test) with the 13 classes of the
    thesis's three-task table (label 0, unknown, is ignored), depth and
    surface normals; see :class:`MultiTaskDataset` for the layout."""

    METAINFO = dict(
        classes=('bed', 'books', 'ceiling', 'chair', 'floor', 'furniture',
                 'objects', 'picture', 'sofa', 'table', 'tv', 'wall',
                 'window'))

    def __init__(self, reduce_zero_label: bool = True, **kwargs) -> None:
        super().__init__(reduce_zero_label=reduce_zero_label, **kwargs)
