# Copyright (c) mmskd contributors. All rights reserved.
"""Checks of a dataset's files and annotation values, run when it loads.

mmseg reads a label or depth map only when a batch needs it, so a broken
dataset shows late or not at all: a missing label file fails at its batch,
a label id beyond the classes dies in the loss with a raw IndexError,
labels that are all ignored train at loss 0, and depth maps in the wrong
unit train on wrong depths. The functions here refuse such data up front,
naming the file, the values found and the layout expected:

- every listed image and annotation file must exist (one ``stat`` each);
- a deterministic sample of annotation maps, spread evenly over the list
  (:func:`checked_indices`), is read and its values checked;
- the sample must hold some label (or depth) that is not ignored.

The dataset classes of :mod:`mmskd.datasets.checked_datasets` run them.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmseg.utils import datafrombytes

# Annotation maps read at load by default: enough to catch a dataset in the
# wrong format (which shows in every map), cheap next to a training run.
DEFAULT_NUM_CHECKED = 16
CheckArg = Union[int, str]


def validate_check_arg(check: CheckArg, arg: str = 'check_labels') -> None:
    """Refuse a ``check_labels``-style argument that is not a count or 'all'.

    Args:
        check (int | str): The argument's value.
        arg (str): The argument's name, for the error.

    Raises:
        ValueError: If it is neither a non-negative int nor ``'all'``.
    """
    if check == 'all' or (isinstance(check, int)
                          and not isinstance(check, bool) and check >= 0):
        return
    raise ValueError(
        f"{arg} must be the number of annotation maps to read at load (an "
        f"int >= 0, e.g. {DEFAULT_NUM_CHECKED}) or 'all', got {check!r}")


def checked_indices(num_items: int, check: CheckArg) -> List[int]:
    """Which annotation maps to read: ``check`` of them, spread evenly.

    Args:
        num_items (int): Length of the data list.
        check (int | str): How many maps to read, or ``'all'``.

    Returns:
        list[int]: Sorted indices, the first and the last item included;
        the same for the same arguments.
    """
    validate_check_arg(check)
    if check == 'all' or check >= num_items:
        return list(range(num_items))
    if check == 0:
        return []
    spread = np.linspace(0, num_items - 1, int(check)).round().astype(int)
    return sorted(set(spread.tolist()))


def check_files_exist(paths: Sequence[str], dataset: str, what: str,
                      source: str, layout: str) -> None:
    """Refuse a data list whose files do not all exist.

    Args:
        paths (Sequence[str]): One file per image of the data list.
        dataset (str): The dataset's type, to begin the error with.
        what (str): What the files are, e.g. ``'label map'``.
        source (str): Where the list came from (a folder, an ``ann_file``).
        layout (str): The layout the dataset expects.

    Raises:
        FileNotFoundError: Naming how many are missing and the first one.
    """
    missing = [path for path in paths if not osp.isfile(path)]
    if missing:
        raise FileNotFoundError(
            f'{dataset}: {len(missing)} image(s) of {source} have no {what}, '
            f'e.g. {missing[0]}. Expected {layout}.')


@dataclass
class LabelRules:
    """What a dataset's label maps may hold, and how mmseg maps them.

    Args:
        dataset (str): The dataset's type, to begin errors with.
        num_classes (int): Classes after the mapping.
        ignore_index (int): The ignored label after the mapping.
        reduce_zero_label (bool): mmseg's ADE20K mapping (0 becomes 255,
            the others shift by -1).
        label_map (dict, optional): Old label to new (class subsets, void).
        layout (str): The layout the dataset expects, for errors.
    """
    dataset: str
    num_classes: int
    ignore_index: int
    reduce_zero_label: bool
    label_map: Optional[Dict[int, int]]
    layout: str


def map_labels(labels: np.ndarray, rules: LabelRules) -> np.ndarray:
    """Map uint8 file values to train ids as mmseg's ``LoadAnnotations``.

    The same steps as ``mmseg.datasets.transforms.LoadAnnotations.
    _load_seg_map`` (mmseg 1.2.2): ``reduce_zero_label``, then
    ``label_map`` applied to the reduced values.

    Args:
        labels (np.ndarray): uint8 values as stored in the files.
        rules (LabelRules): The dataset's mapping.

    Returns:
        np.ndarray: uint8 train ids, the shape of ``labels``.
    """
    mapped = labels.astype(np.uint8)
    if rules.reduce_zero_label:
        mapped[mapped == 0] = 255
        mapped = mapped - 1
        mapped[mapped == 254] = 255
    if rules.label_map:
        original = mapped.copy()
        for old, new in rules.label_map.items():
            mapped[original == old] = new
    return mapped


def allowed_file_values(rules: LabelRules) -> np.ndarray:
    """The uint8 file values that map to a class or to the ignored label.

    Args:
        rules (LabelRules): The dataset's classes and mapping.

    Returns:
        np.ndarray: Sorted file values, e.g. 0-18 and 255 for Cityscapes.
    """
    values = np.arange(256, dtype=np.uint8)
    mapped = map_labels(values, rules)
    keep = (mapped < rules.num_classes) | (mapped == rules.ignore_index)
    return values[keep]


def format_values(values: Sequence[int], limit: int = 12) -> str:
    """Integers as ranges, e.g. ``'0-18, 255'``; long lists are cut.

    Args:
        values (Sequence[int]): Sorted distinct integers.
        limit (int): At most this many ranges are written.

    Returns:
        str: The ranges, joined by commas.
    """
    ranges: List[Tuple[int, int]] = []
    for value in (int(v) for v in values):
        if ranges and value == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], value)
        else:
            ranges.append((value, value))
    text = [f'{lo}' if lo == hi else f'{lo}-{hi}' for lo, hi in ranges]
    more = f', ... ({len(ranges) - limit} more)' if len(text) > limit else ''
    return ', '.join(text[:limit]) + more


def read_map(path: str,
             backend: str = 'pillow',
             backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an annotation map unchanged, as mmseg's loaders decode it.

    Args:
        path (str): The file.
        backend (str): mmcv's decoding backend: ``'pillow'`` keeps a palette
            PNG's indices (mmseg's ``LoadAnnotations`` default).
        backend_args (dict, optional): File backend arguments.

    Returns:
        np.ndarray: The decoded array, a single channel axis dropped.

    Raises:
        ValueError: If the file does not decode as an image.
    """
    array = mmcv.imfrombytes(
        fileio.get(path, backend_args=backend_args),
        flag='unchanged',
        backend=backend)
    if array is None:
        raise ValueError(f'{path} could not be decoded as an image '
                         f'(decoding backend {backend!r})')
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return array


def check_label_map(path: str, labels: np.ndarray, rules: LabelRules) -> bool:
    """Refuse a label map whose values are not the dataset's labels.

    Args:
        path (str): The file, for the error.
        labels (np.ndarray): Its values as decoded (:func:`read_map`).
        rules (LabelRules): The dataset's classes and mapping.

    Returns:
        bool: Whether some pixel keeps a class (is not ignored).

    Raises:
        ValueError: If the map is not single-channel, holds values beyond
            8 bits (mmseg casts them to uint8, wrapping them) or values that
            map to neither a class nor the ignored label.
    """
    prefix = f'{rules.dataset}: {path}'
    if labels.ndim != 2:
        raise ValueError(
            f'{prefix} is not a single-channel label map (it reads as '
            f'{labels.dtype} of shape {labels.shape}); colour-coded labels '
            f'need converting to class indices. Expected {rules.layout}.')
    found = np.unique(labels)
    if found.min() < 0 or found.max() > 255:
        raise ValueError(
            f'{prefix} holds label values {format_values(found)}, beyond '
            '0-255: mmseg reads label maps as uint8, wrapping larger values '
            f'onto other classes. Expected {rules.layout}.')
    allowed = allowed_file_values(rules)
    bad = found[~np.isin(found, allowed)]
    if bad.size:
        raise ValueError(
            f'{prefix} has label values {bad.tolist()}, beyond '
            f'{format_values(allowed)} (the values that {rules.dataset} '
            f'maps to its classes 0-{rules.num_classes - 1} and to the '
            f'ignored {rules.ignore_index}); training would fail in the loss '
            f'with an IndexError. Expected {rules.layout}.')
    mapped = map_labels(found, rules)
    return bool((mapped != rules.ignore_index).any())


def check_label_files(paths: Sequence[str],
                      rules: LabelRules,
                      backend: str = 'pillow',
                      backend_args: Optional[dict] = None,
                      allow_all_ignored: bool = False) -> None:
    """Read label maps and refuse wrong values or only ignored pixels.

    Args:
        paths (Sequence[str]): The label maps to read (a sample).
        rules (LabelRules): The dataset's classes and mapping.
        backend (str): mmcv's decoding backend, the pipeline's.
        backend_args (dict, optional): File backend arguments.
        allow_all_ignored (bool): Accept maps of only the ignored label (a
            split without labels, e.g. Cityscapes test for the evaluation
            server). Defaults to False.

    Raises:
        ValueError: From :func:`check_label_map`, or if every map read
            holds only the ignored label.
    """
    labelled = [
        check_label_map(path, read_map(path, backend, backend_args), rules)
        for path in paths
    ]
    if labelled and not any(labelled) and not allow_all_ignored:
        raise ValueError(
            f'{rules.dataset}: every label map read ({len(paths)}, e.g. '
            f'{paths[0]}) holds only the ignored label '
            f'{rules.ignore_index} after the mapping: training on them '
            'gives a loss of 0 and learns nothing. Expected '
            f'{rules.layout}. For a split without labels (a test split '
            'for an evaluation server) set the dataset\'s test_mode=True.')


@dataclass
class DepthRules:
    """What a dataset's depth maps must look like.

    Args:
        dataset (str): The dataset's type, to begin errors with.
        rescale (float): The loader's ``depth_rescale_factor``, from the
            stored integers to metres.
        median_range (tuple[float, float]): Plausible medians of a map's
            valid depths, in metres.
        layout (str): The layout the dataset expects, for errors.
    """
    dataset: str
    rescale: float
    median_range: Tuple[float, float]
    layout: str


def check_uint16_depth(depth: Optional[np.ndarray], path: str,
                       rescale: float) -> np.ndarray:
    """Refuse a depth map that is not a decoded single-channel uint16 image.

    Args:
        depth (np.ndarray, optional): The decoded map (None if it failed).
        path (str): The file, for the error.
        rescale (float): The loader's ``depth_rescale_factor``.

    Returns:
        np.ndarray: ``depth``, checked.

    Raises:
        ValueError: Naming the file, its dtype and shape.
    """
    if depth is None:
        raise ValueError(f'depth map {path} could not be decoded as an image')
    if depth.dtype != np.uint16 or depth.ndim != 2:
        raise ValueError(
            f'depth map {path} must be a single-channel 16-bit image (uint16 '
            f'values that depth_rescale_factor={rescale:g} turns into '
            f'depths, 0 = no depth), but it decodes to {depth.dtype} of shape '
            f'{depth.shape}; write it with cv2.imwrite(path, '
            'depth.astype(np.uint16))')
    return depth


def check_depth_map(path: str, depth: Optional[np.ndarray],
                    rules: DepthRules) -> bool:
    """Refuse a depth map whose values are not in the expected unit.

    Args:
        path (str): The file, for the error.
        depth (np.ndarray, optional): Its decoded values (uint16, 0 = no
            depth; None if decoding failed).
        rules (DepthRules): The unit and plausible medians.

    Returns:
        bool: Whether the map has any valid (non-zero) depth.

    Raises:
        ValueError: If it is not a uint16 map (:func:`check_uint16_depth`)
            or the median of its valid depths, in metres after ``rescale``,
            lies outside ``median_range``.
    """
    depth = check_uint16_depth(depth, path, rules.rescale)
    valid = depth[depth > 0]
    if not valid.size:
        return False
    median = float(np.median(valid))
    metres = median * rules.rescale
    low, high = rules.median_range
    if low <= metres <= high:
        return True
    if metres < low:
        fix = ('Depths stored in metres or centimetres? Write millimetres: '
               'cv2.imwrite(path, np.round(depth_m * 1000).astype(np.uint16))')
    else:
        fix = ('Depths stored in 0.1 mm or a finer unit? Divide them back to '
               'millimetres, or set the depth loader\'s depth_rescale_factor '
               'to the unit (1e-4 for 0.1 mm)')
    raise ValueError(
        f'{rules.dataset}: depth map {path} holds valid (non-zero) values '
        f'{int(valid.min())}-{int(valid.max())} with median {median:g}, '
        f'{metres:.3g} m with depth_rescale_factor={rules.rescale:g}; a '
        f'plausible median is {low:g}-{high:g} m. {fix}. '
        f'Expected {rules.layout}.')


def check_depth_files(paths: Sequence[str],
                      rules: DepthRules,
                      backend: str = 'cv2',
                      backend_args: Optional[dict] = None) -> None:
    """Read depth maps and refuse wrong units or maps without any depth.

    Args:
        paths (Sequence[str]): The depth maps to read (a sample).
        rules (DepthRules): The unit and plausible medians.
        backend (str): mmseg's ``datafrombytes`` backend, the loader's.
        backend_args (dict, optional): File backend arguments.

    Raises:
        ValueError: From :func:`check_depth_map`, or if every map read is
            all 0 (no depth).
    """
    valid = [
        check_depth_map(
            path,
            datafrombytes(
                fileio.get(path, backend_args=backend_args), backend=backend),
            rules) for path in paths
    ]
    if valid and not any(valid):
        raise ValueError(
            f'{rules.dataset}: every depth map read ({len(paths)}, e.g. '
            f'{paths[0]}) is all 0 (no depth): nothing to train on. Expected '
            f'{rules.layout}.')
