# Copyright (c) mmskd contributors. All rights reserved.
"""mmseg's Cityscapes, ADE20K, Pascal VOC and NYU datasets, checked at load.

Each ``Checked*`` class is mmseg's dataset plus the checks of
:mod:`mmskd.datasets.data_checks`, run once when the data list is built (so
``tools/train.py`` and ``tools/test.py`` alike refuse broken data before the
first iteration, with the file, the values found and the expected layout):

- the list is not empty, and every image and annotation file exists;
- ``check_labels`` label maps (16 by default, spread evenly over the list;
  ``'all'`` reads every one, 0 none) hold only the dataset's labels after
  its own mapping (``reduce_zero_label``, class subsets), and not only the
  ignored one;
- for NYU, ``check_depths`` depth maps are uint16 in the unit the depth
  loader expects (a plausible median depth).

Annotation maps are checked only when the pipeline loads them, and with the
pipeline's loader's decoding settings; with ``backend_args`` (remote
storage) nothing is checked. The mmskd configs name these types; to check a
whole split once, e.g. ``--cfg-options
train_dataloader.dataset.check_labels=all``.
"""
from typing import List, Optional, Tuple

from mmcv.transforms import LoadAnnotations
from mmseg.datasets import (ADE20KDataset, CityscapesDataset, NYUDataset,
                            PascalVOCDataset)
from mmseg.datasets.transforms import LoadDepthAnnotation
from mmseg.registry import DATASETS

from .data_checks import (DEFAULT_NUM_CHECKED, CheckArg, DepthRules,
                          LabelRules, check_depth_files, check_files_exist,
                          check_label_files, checked_indices,
                          validate_check_arg)


def _pipeline_step(dataset, kind: type) -> Optional[object]:
    """The first transform of ``dataset``'s pipeline that is a ``kind``."""
    steps = getattr(dataset.pipeline, 'transforms', [])
    return next((step for step in steps if isinstance(step, kind)), None)


def _check_listing(dataset, data_list: List[dict], ann_key: str,
                   what: str) -> None:
    """Refuse an empty list or a listed file that does not exist.

    Args:
        dataset: The mmseg dataset (its ``data_prefix``, ``ann_file``).
        data_list (list[dict]): Its data infos.
        ann_key (str): The info key of the annotation file
            (``'seg_map_path'`` or ``'depth_map_path'``).
        what (str): What the annotation files are, e.g. ``'label map'``.

    Raises:
        ValueError: If the list is empty.
        FileNotFoundError: If a listed file does not exist.
    """
    name, layout = type(dataset).__name__, dataset.LAYOUT
    img_dir = dataset.data_prefix.get('img_path', '')
    listed = f' listed by {dataset.ann_file}' if dataset.ann_file else ''
    if not data_list:
        raise ValueError(
            f'{name}: {img_dir} holds no {dataset.img_suffix} image{listed}. '
            f'Expected {layout}; set data_root (and data_prefix) to it.')
    source = dataset.ann_file or img_dir
    if dataset.ann_file:  # a folder listing only lists images that exist
        check_files_exist([info['img_path'] for info in data_list], name,
                          'image file', source, layout)
    check_files_exist([info[ann_key] for info in data_list if ann_key in info],
                      name, what, source, layout)


class CheckedLabelsMixin:
    """Checks a segmentation dataset's files and label values at load.

    Mixed in before an mmseg ``BaseSegDataset`` class; see the module's
    docstring for the checks. Subclasses describe their layout in
    ``LAYOUT``, which every error quotes.

    Args:
        check_labels (int | str): How many label maps to read at load,
            spread evenly over the data list, or ``'all'``. Defaults to 16.
        **kwargs: The arguments of the mmseg dataset class.
    """
    LAYOUT = ('single-channel label maps of class indices, 255 for ignored '
              'pixels')

    def __init__(self,
                 *args,
                 check_labels: CheckArg = DEFAULT_NUM_CHECKED,
                 **kwargs) -> None:
        validate_check_arg(check_labels, 'check_labels')
        # Set before mmseg's __init__, which loads (and checks) the list.
        self.check_labels = check_labels
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """mmseg's data list, checked.

        Returns:
            list[dict]: mmseg's data infos, unchanged.

        Raises:
            ValueError: If the list is empty, or a label map read holds
                values that are no label, or they all hold only the
                ignored label.
            FileNotFoundError: If a listed image or label map is missing.
        """
        data_list = super().load_data_list()
        if self.backend_args is None:
            self._check_labels(data_list)
        return data_list

    def _check_labels(self, data_list: List[dict]) -> None:
        """Check the files, and the values of a sample of the label maps."""
        loader = _pipeline_step(self, LoadAnnotations)
        if loader is None or not loader.with_seg:
            return  # the pipeline reads no labels: any may be missing
        _check_listing(self, data_list, 'seg_map_path', 'label map')
        paths = [
            data_list[index]['seg_map_path']
            for index in checked_indices(len(data_list), self.check_labels)
        ]
        check_label_files(
            paths,
            self.label_rules(),
            loader.imdecode_backend,
            loader.backend_args,
            allow_all_ignored=self.test_mode)

    def label_rules(self) -> LabelRules:
        """The values this dataset's label maps may hold.

        Returns:
            LabelRules: Its classes, ignored label and mapping.
        """
        return LabelRules(
            dataset=type(self).__name__,
            num_classes=len(self.metainfo['classes']),
            ignore_index=self.ignore_index,
            reduce_zero_label=self.reduce_zero_label,
            label_map=self.label_map,
            layout=self.LAYOUT)


@DATASETS.register_module()
class CheckedCityscapesDataset(CheckedLabelsMixin, CityscapesDataset):
    """mmseg's ``CityscapesDataset``, checked at load (module docstring).

    Args:
        check_labels (int | str): Label maps read at load, or ``'all'``.
            Defaults to 16.
        **kwargs: The arguments of mmseg's ``CityscapesDataset``.
    """
    LAYOUT = ('leftImg8bit/{split}/{city}/*_leftImg8bit.png with '
              'gtFine/{split}/{city}/*_gtFine_labelTrainIds.png: '
              'single-channel train ids 0-18, 255 ignored, as mmseg\'s '
              'tools/dataset_converters/cityscapes.py writes them (the '
              '*_gtFine_labelIds.png of the download hold label ids 0-33, '
              'not train ids)')


@DATASETS.register_module()
class CheckedADE20KDataset(CheckedLabelsMixin, ADE20KDataset):
    """mmseg's ``ADE20KDataset``, checked at load (module docstring).

    Args:
        check_labels (int | str): Label maps read at load, or ``'all'``.
            Defaults to 16.
        **kwargs: The arguments of mmseg's ``ADE20KDataset``.
    """
    LAYOUT = ('images/{training,validation}/*.jpg with '
              'annotations/{training,validation}/*.png: single-channel '
              'ADE20K ids 0-150, where 0 ("other") is ignored and 1-150 '
              'become classes 0-149 (reduce_zero_label=True), as '
              'ADEChallengeData2016 ships them')


@DATASETS.register_module()
class CheckedPascalVOCDataset(CheckedLabelsMixin, PascalVOCDataset):
    """mmseg's ``PascalVOCDataset``, checked at load (module docstring).

    Args:
        check_labels (int | str): Label maps read at load, or ``'all'``.
            Defaults to 16.
        **kwargs: The arguments of mmseg's ``PascalVOCDataset``.
    """
    LAYOUT = ('JPEGImages/{name}.jpg with SegmentationClass/{name}.png (or '
              'SegmentationClassAug/{name}.png) for the names of '
              'ImageSets/Segmentation/{split}.txt: single-channel or palette '
              'PNGs of class indices 0-20 (0 = background), 255 ignored; '
              'SBD\'s .mat labels converted by mmseg\'s '
              'tools/dataset_converters/voc_aug.py')


@DATASETS.register_module()
class CheckedNYUDataset(NYUDataset):
    """mmseg's ``NYUDataset``, its depth maps checked at load.

    The list must not be empty and every image and depth map must exist;
    ``check_depths`` depth maps, spread evenly over the list, must be
    single-channel uint16 whose valid (non-zero) values have a median that
    the pipeline's depth loader (its ``depth_rescale_factor``) turns into a
    plausible depth (``median_range``, metres). This refuses depths stored
    in metres (medians of a few units, millimetres after the usual 1e-3) or
    in 0.1 mm (medians of tens of metres), which train without an error on
    wrong depths; and a sample of maps that are all 0 (no depth).

    Args:
        check_depths (int | str): Depth maps read at load, or ``'all'``.
            Defaults to 16.
        median_range (tuple[float, float]): Plausible medians of a map's
            valid depths, in metres. Defaults to (0.4, 10.0), NYU's Kinect
            range indoors.
        **kwargs: The arguments of mmseg's ``NYUDataset``.
    """
    LAYOUT = ('images/{split}/*.jpg with annotations/{split}/*.png: uint16 '
              'PNG depth maps in millimetres (0 = no depth, indoor range '
              '~500-10000), read with depth_rescale_factor=1e-3, as mmseg\'s '
              'tools/dataset_converters/nyu.py writes them')

    def __init__(self,
                 *args,
                 check_depths: CheckArg = DEFAULT_NUM_CHECKED,
                 median_range: Tuple[float, float] = (0.4, 10.0),
                 **kwargs) -> None:
        validate_check_arg(check_depths, 'check_depths')
        # Set before mmseg's __init__, which loads (and checks) the list.
        self.check_depths = check_depths
        self.median_range = tuple(median_range)
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """mmseg's data list, checked.

        Returns:
            list[dict]: mmseg's data infos, unchanged.

        Raises:
            ValueError: If the list is empty, or a depth map read is not
                uint16 in the expected unit, or they are all 0.
            FileNotFoundError: If a listed image or depth map is missing.
        """
        data_list = super().load_data_list()
        loader = _pipeline_step(self, LoadDepthAnnotation)
        if self.backend_args is not None or loader is None:
            return data_list
        _check_listing(self, data_list, 'depth_map_path', 'depth map')
        paths = [
            data_list[index]['depth_map_path']
            for index in checked_indices(len(data_list), self.check_depths)
        ]
        rules = DepthRules(
            dataset=type(self).__name__,
            rescale=loader.depth_rescale_factor,
            median_range=self.median_range,
            layout=self.LAYOUT)
        check_depth_files(paths, rules, loader.decode_backend,
                          loader.backend_args)
        return data_list
