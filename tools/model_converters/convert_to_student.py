# Copyright (c) mmskd contributors. All rights reserved.
"""Keep only the student of a distillation checkpoint.

An mmskd (or mmrazor) training checkpoint holds the whole algorithm: the
student under ``architecture.``, the frozen teacher, the distiller's
connectors, a holistic discriminator and the optimizer state. This writes a
checkpoint with the student's weights under the names of its own model-zoo
config and the run's meta, which the stock ``tools/test.py`` of mmseg (or
mmdet) loads with that config::

    python tools/model_converters/convert_to_student.py \\
        $WORK_DIR/iter_80000.pth student.pth
    MMSEG=$(python -c 'import mmseg; print(mmseg.__path__[0])')/.mim
    python $MMSEG/tools/test.py \\
        $MMSEG/configs/pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py \\
        student.pth

With ``--drop-auxiliary-heads`` it also drops every ``auxiliary_head``
(mmseg's deep supervision, mmskd's ``AuxiliaryModuleHead``) and a multi-task
network's ``auxiliary_heads``, which never run at test time: the output is
the deployable network alone, with the keys and shapes of its config built
without them. A checkpoint of a
plain (not distilled) run is then taken whole::

    python tools/model_converters/convert_to_student.py \
        $WORK_DIR/iter_80000.pth deployable.pth --drop-auxiliary-heads

The output holds only tensors and plain Python values, so it loads with
``torch.load(..., weights_only=True)``, the default of torch >= 2.6; the
input is read with ``weights_only=False`` (mmengine checkpoints hold its
message hub), so convert only checkpoints you trust.
"""
import argparse
import os
import os.path as osp
from collections import Counter
from typing import Any, Dict, Tuple

import numpy as np
import torch

from mmskd.models.utils import drop_wrapper_names

STUDENT_PREFIX = 'architecture.'
# The training-only heads of mmseg's segmentors and mmskd's multi-task one.
AUXILIARY = ('auxiliary_head', 'auxiliary_heads')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('checkpoint', help='the distillation checkpoint')
    parser.add_argument('out', help='where to write the student checkpoint')
    parser.add_argument(
        '--prefix',
        default=STUDENT_PREFIX,
        help='the state-dict prefix of the student (default: %(default)s)')
    parser.add_argument(
        '--drop-auxiliary-heads',
        action='store_true',
        help='also drop the auxiliary heads (the deployable network); a '
        'checkpoint of a plain run is then taken whole')
    return parser.parse_args()


def plain(value: Any) -> Any:
    """``value`` with numpy scalars made Python numbers, others dropped.

    Args:
        value: A meta value (nested dicts, lists, tuples, scalars).

    Returns:
        The value built only of types ``torch.load(weights_only=True)``
        accepts, or None for anything else (e.g. a message hub).
    """
    if isinstance(value, dict):
        items = ((key, plain(item)) for key, item in value.items())
        return {key: item for key, item in items if item is not None}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(item) for item in value)
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return None


def split_student(
        state_dict: Dict[str, torch.Tensor],
        prefix: str = STUDENT_PREFIX
) -> Tuple[Dict[str, torch.Tensor], Counter]:
    """The student's tensors without ``prefix``, and what was dropped.

    Args:
        state_dict (dict): The distillation model's state dict.
        prefix (str): The student's prefix.

    Returns:
        tuple: The student state dict, and a count of the dropped tensors
        by their first name component (``teacher``, ``distiller``,
        ``discriminator``, ``data_preprocessor``, ...).

    Raises:
        ValueError: If no tensor has the prefix.
    """
    student, dropped = {}, Counter()
    for key, value in state_dict.items():
        if key.startswith(prefix):
            student[key[len(prefix):]] = value
        else:
            dropped[key.split('.', 1)[0]] += 1
    if not student:
        groups = ', '.join(sorted(dropped)) or 'nothing'
        raise ValueError(
            f'No tensor starts with {prefix!r} (found: {groups}); is this a '
            'distillation checkpoint? A plain model checkpoint needs no '
            'conversion.')
    return student, dropped


def without_auxiliary_heads(state_dict: Dict[str, torch.Tensor],
                            dropped: Counter) -> Dict[str, torch.Tensor]:
    """``state_dict`` without its auxiliary heads' tensors, counted in
    ``dropped``."""
    kept = {}
    for key, value in state_dict.items():
        group = key.split('.', 1)[0]
        if group in AUXILIARY:
            dropped[group] += 1
        else:
            kept[key] = value
    return kept


def convert(checkpoint_path: str,
            out_path: str,
            prefix: str = STUDENT_PREFIX,
            drop_auxiliary_heads: bool = False) -> Dict[str, Any]:
    """Write the student-only checkpoint of ``checkpoint_path``.

    Args:
        checkpoint_path (str): The distillation checkpoint (or, with
            ``drop_auxiliary_heads``, that of a plain run).
        out_path (str): The student checkpoint to write.
        prefix (str): The student's state-dict prefix.
        drop_auxiliary_heads (bool): Also drop the auxiliary heads'
            tensors. Defaults to False.

    Returns:
        dict: The written checkpoint (``state_dict`` and ``meta``).
    """
    checkpoint = torch.load(
        checkpoint_path, map_location='cpu', weights_only=False)
    # Checkpoints of multi-process runs written before mmskd saved the
    # parts' own names hold `architecture.module.*`.
    state_dict = drop_wrapper_names(checkpoint.get('state_dict', checkpoint))
    if drop_auxiliary_heads and not any(
            key.startswith(prefix) for key in state_dict):
        prefix = ''  # a plain run's model is the network itself
    student, dropped = split_student(state_dict, prefix)
    if drop_auxiliary_heads:
        student = without_auxiliary_heads(student, dropped)
    meta = plain(checkpoint.get('meta', {})) if 'state_dict' in checkpoint \
        else {}
    # meta['cfg'] is the distillation config; kept under another name so
    # that nothing mistakes it for the student's own config.
    if 'cfg' in meta:
        meta['distill_cfg'] = meta.pop('cfg')
    meta['converted_from'] = dict(
        checkpoint=osp.basename(checkpoint_path),
        prefix=prefix,
        dropped=dict(sorted(dropped.items())))
    converted = dict(meta=meta, state_dict=student)
    out_dir = osp.dirname(osp.abspath(out_path))
    os.makedirs(out_dir, exist_ok=True)
    torch.save(converted, out_path)
    return converted


def main() -> None:
    args = parse_args()
    converted = convert(args.checkpoint, args.out, args.prefix,
                        args.drop_auxiliary_heads)
    dropped = converted['meta']['converted_from']['dropped']
    summary = ', '.join(f'{group} ({count})'
                        for group, count in dropped.items()) or 'nothing'
    print(f'Wrote {len(converted["state_dict"])} student tensors to '
          f'{args.out}; dropped {summary}.')


if __name__ == '__main__':
    main()
