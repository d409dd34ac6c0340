# Copyright (c) mmskd contributors. All rights reserved.
"""A folder of images without labels, for distillation on unlabelled data."""
import copy
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import cv2
import mmengine.fileio as fileio
from mmcv.transforms import LoadAnnotations as MMCVLoadAnnotations
from mmengine.dataset import BaseDataset
from mmseg.datasets.transforms import LoadDepthAnnotation
from mmseg.registry import DATASETS, TRANSFORMS

from mmskd.structures import LABELLED_KEY, mark_unlabelled

# '.ppm': the frames of NYU Depth v2's raw video sequences.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.tif', '.tiff',
                    '.webp')
# Annotation loaders of a labelled pipeline and the placeholder that stands
# in for each (see PlaceholderAnnotation).
PLACEHOLDER_FIELDS = ((MMCVLoadAnnotations, 'gt_seg_map'),
                      (LoadDepthAnnotation, 'gt_depth_map'))
Step = Union[dict, Callable]


def _step_class(step: Step) -> Optional[type]:
    """The transform class a pipeline step builds, if it can be found."""
    if not isinstance(step, dict):
        return type(step)
    kind = step.get('type')
    return TRANSFORMS.get(kind) if isinstance(kind, str) else kind


def placeholder_pipeline(pipeline: Sequence[Step],
                         ignore_index: int = 255) -> List[Step]:
    """A labelled pipeline with its annotation loader replaced.

    Each ``LoadAnnotations`` (label map) or ``LoadDepthAnnotation`` (depth
    map, its subclasses included) becomes a ``PlaceholderAnnotation`` of the
    same field; every other step is kept, so unlabelled images are augmented
    exactly as the labelled ones. A pipeline that already has placeholders
    is returned as it is.

    Args:
        pipeline (Sequence[dict | Callable]): The labelled pipeline.
        ignore_index (int): The fill value of placeholder label maps.
            Defaults to 255.

    Returns:
        list: The pipeline for unlabelled images.

    Raises:
        ValueError: For an annotation loader of another kind, which has no
            placeholder.
    """
    steps = []
    for step in pipeline:
        cls = _step_class(step)
        field = next((name for base, name in PLACEHOLDER_FIELDS
                      if isinstance(cls, type) and issubclass(cls, base)),
                     None)
        if field is not None:
            fill = ignore_index if field == 'gt_seg_map' else None
            # Registered in mmseg's scope, whatever scope builds the set.
            steps.append(
                dict(
                    type='PlaceholderAnnotation',
                    field=field,
                    fill_value=fill,
                    _scope_='mmseg'))
            continue
        name = getattr(cls, '__name__', str(cls))
        if name.startswith('Load') and 'Annotation' in name:
            raise ValueError(
                f'UnlabelledImageDataset has no placeholder for {name}: it '
                'replaces LoadAnnotations (label maps) and '
                'LoadDepthAnnotation (depth maps). Give the unlabelled set '
                "a pipeline with dict(type='PlaceholderAnnotation', "
                "field=...) in that place.")
        steps.append(copy.deepcopy(step))
    return steps


@DATASETS.register_module()
class UnlabelledImageDataset(BaseDataset):
    """The images of a folder, each with a placeholder ground truth.

    Meant to be concatenated with a labelled set (mmengine's
    ``ConcatDataset``) so that distillation also learns from images nobody
    labelled: every distillation term applies to them, the student's task
    loss does not (its samples are marked ``labelled=False`` in their
    ``metainfo``; see ``StructuredDistill``). For example::

        unlabelled = dict(
            type='UnlabelledImageDataset',
            data_root='data/cityscapes/',
            data_prefix=dict(img_path='leftImg8bit/train_extra'),
            metainfo_from='CityscapesDataset',
            pipeline=train_pipeline)   # the labelled set's own pipeline
        train_dataloader = dict(dataset=dict(
            type='ConcatDataset', datasets=[labelled, unlabelled]))

    ``pipeline`` is the labelled set's: its annotation loader is replaced by
    a ``PlaceholderAnnotation`` (an ``ignore_index`` label map or an empty
    depth map), see :func:`placeholder_pipeline`, so that the same
    augmentations and packing apply. Files are found recursively under
    ``data_prefix['img_path']`` and sorted by path; hidden files (``.*``)
    are skipped. ``indices`` (e.g. 2000) takes the first images only.

    Args:
        data_root (str, optional): Root that ``data_prefix`` is relative to.
        data_prefix (dict): ``dict(img_path=FOLDER)``.
        img_suffix (str, optional): Only files ending with it are images
            (e.g. ``'_leftImg8bit.png'``); others are skipped. Defaults to
            None: every file must be an image (``IMAGE_EXTENSIONS``).
        metainfo_from (str | dict, optional): The labelled dataset (its type,
            or its config) whose ``metainfo`` (classes, palette, label map)
            this set takes, so that ``ConcatDataset`` accepts the pair. It is
            built with ``lazy_init=True``: no files are read.
        metainfo (dict, optional): Explicit meta information instead.
        pipeline (list): The labelled pipeline (see above).
        ignore_index (int): Fill value of placeholder label maps. Defaults
            to 255.
        indices (int | Sequence[int], optional): Use a subset.
        check_images (bool): Read each local file's header at init and
            refuse files OpenCV cannot decode. Defaults to True.
        **kwargs: Other arguments of mmengine's ``BaseDataset``
            (``serialize_data``, ``lazy_init``, ``max_refetch``).
    """

    def __init__(self,
                 data_root: Optional[str] = None,
                 data_prefix: dict = dict(img_path=''),
                 img_suffix: Optional[str] = None,
                 metainfo_from: Union[str, dict, None] = None,
                 metainfo: Optional[dict] = None,
                 pipeline: Sequence[Step] = (),
                 ignore_index: int = 255,
                 indices: Union[int, Sequence[int], None] = None,
                 check_images: bool = True,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        self.img_suffix = img_suffix
        self.check_images = check_images
        self.backend_args = backend_args
        if metainfo_from is not None:
            metainfo = _metainfo_of(metainfo_from)
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            metainfo=metainfo,
            pipeline=placeholder_pipeline(pipeline, ignore_index),
            indices=indices,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """List the images of the folder.

        Returns:
            list[dict]: One ``dict(img_path=..., seg_fields=[],
            labelled=False)`` per image, sorted by path.

        Raises:
            FileNotFoundError: If the folder does not exist.
            ValueError: If it holds no image, or (without ``img_suffix``) a
                file that is not an image.
        """
        folder = self.data_prefix.get('img_path', '')
        local = self.backend_args is None and '://' not in folder
        if local and not osp.isdir(folder):
            raise FileNotFoundError(
                f'UnlabelledImageDataset: the image folder {folder} does not '
                'exist. Set data_root and data_prefix=dict(img_path=...) to '
                'a folder of images.')
        names = sorted(
            name for name in fileio.list_dir_or_file(
                folder,
                list_dir=False,
                recursive=True,
                backend_args=self.backend_args)
            if not osp.basename(name).startswith('.'))
        names = self._image_names(folder, names)
        paths = [osp.join(folder, name) for name in names]
        if local and self.check_images:
            for path in paths:
                if not cv2.haveImageReader(path):
                    raise ValueError(
                        f'UnlabelledImageDataset: {path} is not an image '
                        'OpenCV can read (its content is no known image '
                        'format). Remove it from the folder, or set '
                        'img_suffix to select the images.')
        return [
            dict(img_path=path, seg_fields=[], **{LABELLED_KEY: False})
            for path in paths
        ]

    def _image_names(self, folder: str, names: List[str]) -> List[str]:
        """The names that are images; refuse what cannot be one."""
        if self.img_suffix is not None:
            names = [name for name in names if name.endswith(self.img_suffix)]
            what = f'no file ending with {self.img_suffix!r}'
        else:
            others = [
                name for name in names
                if not name.lower().endswith(IMAGE_EXTENSIONS)
            ]
            if others:
                raise ValueError(
                    f'UnlabelledImageDataset: {osp.join(folder, others[0])} '
                    f'is not an image ({len(others)} file(s) in {folder} '
                    f'are not {"/".join(IMAGE_EXTENSIONS)}). Remove them, '
                    "or set img_suffix (e.g. '.png') to select the images.")
            what = 'no image'
        if not names:
            raise ValueError(
                f'UnlabelledImageDataset: {folder} holds {what}. Point '
                'data_root/data_prefix at the folder of unlabelled images'
                + ('' if self.img_suffix is None else ' or fix img_suffix') +
                '.')
        return names

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Run the pipeline on an image and mark its sample unlabelled.

        Args:
            idx (int): The index of the image.

        Returns:
            dict, optional: The packed ``inputs`` and ``data_samples``, or
            None where a transform drops the image.
        """
        data = super().prepare_data(idx)
        if data is None:
            return None
        if 'data_samples' not in data:
            raise KeyError(
                'UnlabelledImageDataset: the pipeline must end with a packer '
                '(e.g. PackSegInputs) that produces data_samples.')
        mark_unlabelled(data['data_samples'])
        return data


def _metainfo_of(dataset: Union[str, dict]) -> dict:
    """The metainfo of a dataset built lazily from its type or config."""
    cfg = dict(type=dataset) if isinstance(dataset, str) else \
        copy.deepcopy(dict(dataset))
    cfg['lazy_init'] = True
    return DATASETS.build(cfg).metainfo
