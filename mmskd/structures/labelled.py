# Copyright (c) mmskd contributors. All rights reserved.
"""Which samples of a batch carry a label: the flag that datasets of
unlabelled images set and the algorithms read."""
from mmengine.structures import BaseDataElement

#: The ``metainfo`` key of a data sample that says whether its ground truth
#: is real. Samples without the key are labelled, so every mmseg/mmdet
#: dataset keeps working unchanged.
LABELLED_KEY = 'labelled'


def is_labelled(data_sample: BaseDataElement) -> bool:
    """Whether a data sample's ground truth is a real label.

    Args:
        data_sample (BaseDataElement): A packed sample, e.g. a
            ``SegDataSample``.

    Returns:
        bool: False only for samples marked by :func:`mark_unlabelled`.
    """
    return bool(data_sample.metainfo.get(LABELLED_KEY, True))


def mark_unlabelled(data_sample: BaseDataElement) -> BaseDataElement:
    """Mark a sample whose ground truth is a placeholder, in place.

    Args:
        data_sample (BaseDataElement): A packed sample.

    Returns:
        BaseDataElement: The same sample, for chaining.
    """
    data_sample.set_metainfo({LABELLED_KEY: False})
    return data_sample
