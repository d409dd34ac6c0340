# Copyright (c) mmskd contributors. All rights reserved.
"""Refuse a checkpoint that does not fit the model it is loaded into.

mmengine loads checkpoints with ``strict=False``: a checkpoint of another
model (a DeepLabV3 for a PSPNet, an 11-class head for a 19-class one, a
distillation checkpoint for its student's plain config) only logs "The model
and loaded state dict do not match exactly" and leaves the rest of the model
random, which then teaches a student noise or gets scored. The tools check
the fit first with :func:`check_checkpoint_fits`, which names what does not
fit and how to get a checkpoint that does.

Keys are read as the loaders read them (:func:`checkpoint_state_dict`):
mmengine's ``load_checkpoint`` drops a leading ``module.`` (a whole-model
wrapper), and an mmskd algorithm reads ``<part>.module.<rest>`` (a part's DDP
wrapper in checkpoints of older multi-process runs) as ``<part>.<rest>``
(:func:`~mmskd.models.utils.drop_wrapper_names`).

Two kinds of entries are not weights and are left out of the comparison:

- ``*.num_batches_tracked``: a BatchNorm counter, used only by
  ``momentum=None`` (cumulative) running averages in training. Checkpoints
  converted from other frameworks often lack it; torch keeps the module's
  own counter then.
- ``*._extra_state``: a module's own state (e.g. the teacher record of a
  knowledge translator), whose size is not a weight shape; the module checks
  it in ``set_extra_state``.
"""
import re
from collections import OrderedDict
from typing import (Callable, Dict, List, Mapping, NamedTuple, Optional,
                    Sequence, Tuple)

from mmengine.model import is_model_wrapper
from torch import Tensor, nn

from .wrapper_names import drop_wrapper_names

#: Entries that are not weights (see the module notes).
NOT_WEIGHTS = ('num_batches_tracked', '_extra_state')
#: The state-dict prefixes of a distillation algorithm's student and teacher.
STUDENT_PREFIX, TEACHER_PREFIX = 'architecture.', 'teacher.'
#: How many keys a message names per kind of mismatch.
EXAMPLES = 3

ShapeMismatch = Tuple[str, Tuple[int, ...], Tuple[int, ...]]


class StateDictMismatch(NamedTuple):
    """How a checkpoint's state dict differs from a model's.

    Attributes:
        missing (list[str]): Model tensors the checkpoint lacks.
        unexpected (list[str]): Checkpoint tensors the model lacks.
        mis_shaped (list[tuple]): ``(key, checkpoint shape, model shape)``.
    """
    missing: List[str]
    unexpected: List[str]
    mis_shaped: List[ShapeMismatch]

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.mis_shaped)


def _renamed(state_dict: Mapping,
             rename: Callable[[str], Optional[str]]) -> 'OrderedDict':
    """``state_dict`` with each key (and ``_metadata`` module path) renamed,
    leaving out those ``rename`` maps to None.

    The metadata holds each module's state-dict version, which torch's
    loaders use to upgrade older layouts (e.g. BatchNorm's counter).
    """
    renamed = _kept_renamed(state_dict, rename)
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        renamed._metadata = _kept_renamed(metadata, rename)
    return renamed


def _kept_renamed(mapping: Mapping,
                  rename: Callable[[str], Optional[str]]) -> 'OrderedDict':
    """``mapping`` with each key renamed once, without the None ones."""
    renamed = OrderedDict()
    for key, value in mapping.items():
        new_key = rename(key)
        if new_key is not None:
            renamed[new_key] = value
    return renamed


def checkpoint_state_dict(checkpoint: Mapping) -> 'OrderedDict[str, object]':
    """The state dict of a loaded checkpoint, under the names loaders use.

    Args:
        checkpoint (Mapping): What ``torch.load`` returned: a dict with a
            ``state_dict`` entry, or a bare state dict.

    Returns:
        OrderedDict: The tensors (and ``_metadata``), without a leading
        ``module.`` and with ``<part>.module.`` read as ``<part>.``.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    # mmengine's load_checkpoint default: revise_keys=[(r'^module\.', '')];
    # the metadata path of the wrapper itself is 'module'.
    unprefixed = _renamed(state_dict,
                          lambda key: re.sub(r'^module(\.|$)', '', key))
    return drop_wrapper_names(unprefixed)


def is_distillation_state_dict(state_dict: Mapping) -> bool:
    """Whether ``state_dict`` is a whole distillation algorithm's.

    Args:
        state_dict (Mapping): From :func:`checkpoint_state_dict`.

    Returns:
        bool: True if it holds both a student (``architecture.*``) and a
        teacher (``teacher.*``).
    """
    return any(key.startswith(STUDENT_PREFIX) for key in state_dict) and \
        any(key.startswith(TEACHER_PREFIX) for key in state_dict)


def part_state_dict(state_dict: Mapping,
                    prefix: str) -> 'OrderedDict[str, object]':
    """The entries under ``prefix``, without it.

    Args:
        state_dict (Mapping): A state dict.
        prefix (str): E.g. ``'teacher.'``.

    Returns:
        OrderedDict: The part's state dict (and ``_metadata``).
    """
    part = prefix[:-1]  # the metadata path of the part itself

    def rename(key: str) -> Optional[str]:
        if key == part:
            return ''
        return key[len(prefix):] if key.startswith(prefix) else None

    return _renamed(state_dict, rename)


def without_parts(state_dict: Mapping,
                  parts: Sequence[str]) -> 'OrderedDict[str, object]':
    """``state_dict`` without the entries of some top-level parts.

    Args:
        state_dict (Mapping): A state dict.
        parts (Sequence[str]): Names of top-level modules, e.g.
            ``['auxiliary_head']``.

    Returns:
        OrderedDict: The other entries (and their ``_metadata``).
    """
    return _renamed(state_dict, lambda key: None
                    if key.split('.', 1)[0] in parts else key)


def _is_weight(key: str) -> bool:
    return key.rsplit('.', 1)[-1] not in NOT_WEIGHTS


def _shape(value: object) -> Tuple[int, ...]:
    return tuple(value.shape) if isinstance(value, Tensor) else ()


def compare_state_dicts(expected: Mapping,
                        given: Mapping) -> StateDictMismatch:
    """What of ``given`` does not fit ``expected``, by name and shape.

    Args:
        expected (Mapping): The model's state dict.
        given (Mapping): The checkpoint's.

    Returns:
        StateDictMismatch: Every difference, in ``expected``'s (missing,
        mis-shaped) or ``given``'s (unexpected) order.
    """
    missing = [key for key in expected if _is_weight(key) and key not in given]
    unexpected = [
        key for key in given if _is_weight(key) and key not in expected
    ]
    mis_shaped = [(key, _shape(given[key]), _shape(expected[key]))
                  for key in expected if _is_weight(key) and key in given
                  and _shape(given[key]) != _shape(expected[key])]
    return StateDictMismatch(missing, unexpected, mis_shaped)


def _examples(keys: Sequence[str]) -> str:
    named = ', '.join(keys[:EXAMPLES])
    return named + (', ...' if len(keys) > EXAMPLES else '')


def _format(shape: Tuple[int, ...]) -> str:
    return 'x'.join(map(str, shape)) if shape else 'scalar'


def _are(count: int) -> str:
    return 'is' if count == 1 else 'are'


def describe_mismatch(mismatch: StateDictMismatch, model_size: int) -> str:
    """One sentence per kind of difference, with counts and examples.

    Args:
        mismatch (StateDictMismatch): From :func:`compare_state_dicts`.
        model_size (int): How many weights the model has.

    Returns:
        str: E.g. ``"3 of the model's 310 tensors are missing from it (a,
        b, c); 1 has another shape (w (checkpoint 11x512x1x1, model
        19x512x1x1))"``.
    """
    parts = []
    if mismatch.missing:
        count = len(mismatch.missing)
        parts.append(f'{count} of the model\'s {model_size} tensors '
                     f'{_are(count)} missing from it '
                     f'({_examples(mismatch.missing)})')
    if mismatch.unexpected:
        count = len(mismatch.unexpected)
        parts.append(f'{count} of its tensors {_are(count)} not in the model '
                     f'({_examples(mismatch.unexpected)})')
    if mismatch.mis_shaped:
        shapes = [
            f'{key} (checkpoint {_format(given)}, model {_format(model)})'
            for key, given, model in mismatch.mis_shaped
        ]
        verb = 'has' if len(shapes) == 1 else 'have'
        parts.append(f'{len(shapes)} {verb} another shape '
                     f'({_examples(shapes)})')
    return '; '.join(parts)


def layout_hint(expected: Mapping, given: Mapping) -> str:
    """The fix for the two mix-ups of student and distillation files.

    Args:
        expected (Mapping): The model's state dict.
        given (Mapping): The checkpoint's.

    Returns:
        str: Why the layouts differ and what to do, or '' for any other
        mismatch.
    """
    if is_distillation_state_dict(given) and \
            not is_distillation_state_dict(expected):
        return ('It is a distillation checkpoint (student and teacher): use '
                'it with its distillation config, or export its student '
                'with tools/model_converters/convert_to_student.py for the '
                'student\'s own config.')
    if is_distillation_state_dict(expected) and \
            not is_distillation_state_dict(given):
        return ('The model is a distillation algorithm, but the checkpoint '
                'holds one model: use that model\'s own config (the '
                'student\'s for a convert_to_student.py output).')
    return ''


def model_state_dict(model: nn.Module) -> Dict[str, object]:
    """The state dict a checkpoint of ``model`` holds (wrappers unwrapped).

    Args:
        model (nn.Module): The model, possibly in a DDP-style wrapper.

    Returns:
        dict: Its state dict (an mmskd algorithm's drops its parts'
        wrapper levels itself).
    """
    return (model.module if is_model_wrapper(model) else model).state_dict()


def check_checkpoint_fits(model: nn.Module, state_dict: Mapping, what: str,
                          fix: str) -> None:
    """Refuse ``state_dict`` unless it holds exactly ``model``'s weights.

    Args:
        model (nn.Module): The model to load into (possibly wrapped).
        state_dict (Mapping): From :func:`checkpoint_state_dict`.
        what (str): The sentence subject, e.g. ``"Checkpoint 'x.pth' does
            not fit the model of 'cfg.py'"``.
        fix (str): The sentence naming where a fitting checkpoint comes
            from; a mix-up of a distillation checkpoint and a one-model
            checkpoint gets its own fix instead.

    Raises:
        ValueError: Naming the missing, unexpected and mis-shaped tensors
            (counts and examples), then ``fix``.
    """
    expected = model_state_dict(model)
    mismatch = compare_state_dicts(expected, state_dict)
    if not mismatch:
        return
    model_size = sum(1 for key in expected if _is_weight(key))
    raise ValueError(f'{what}: {describe_mismatch(mismatch, model_size)}. '
                     f'{layout_hint(expected, state_dict) or fix}')
