# Copyright (c) mmskd contributors. All rights reserved.
"""An algorithm's tensors under its own names, whatever wraps its parts.

``MMSeparateDistributedDataParallel`` (the wrapper of every algorithm that
owns its ``train_step``) replaces each trainable part of the algorithm (the
student ``architecture``, the ``distiller``, a ``discriminator``) by a DDP
module holding it as ``.module``. The Runner saves
``runner.model.module.state_dict()``, the algorithm's, so without help a
multi-process checkpoint names the student ``architecture.module.backbone.*``
and a one-process one ``architecture.backbone.*``, and every tool that reads
one kind of checkpoint misses every tensor of the other.

:func:`keep_unwrapped_names` fixes this where the names are made: the
algorithm's ``state_dict()`` drops the wrapper level, so checkpoints carry the
unwrapped names at any process count. mmengine's ``load_state_dict`` (used by
``load_from``, ``--resume`` and the tools) already looks through DDP wrappers,
so those names load into a wrapped or an unwrapped algorithm alike (torch's
own ``load_state_dict`` does not look through them: load a wrapped algorithm
with mmengine's).

Checkpoints written before carry the wrapper level. The one rule for them:
**a key ``<part>.module.<rest>``, where ``<part>`` is a first-level part of
the algorithm, is read as ``<part>.<rest>``** (:func:`drop_wrapper_names`).
No mmskd algorithm has a part with a submodule named ``module``, so the rule
never renames a real tensor.
"""
import re
from collections import OrderedDict
from typing import Dict, Mapping, TypeVar

from torch import nn

StateDict = TypeVar('StateDict', bound=Mapping)

# `<part>.module.<rest>`, or the metadata path `<part>.module` itself.
_WRAPPER_LEVEL = re.compile(r'^([^.]+)\.module(?=\.|$)')


def unwrapped_name(key: str, prefix: str = '') -> str:
    """``key`` without the wrapper level after its first-level part.

    Args:
        key (str): A state-dict key (or a ``_metadata`` module path, which
            has no trailing dot).
        prefix (str): The algorithm's own prefix in the state dict ('' for
            the algorithm itself, ``'module.'`` under a whole-model
            wrapper). Keys outside it are returned unchanged.

    Returns:
        str: The key with ``<prefix><part>.module.`` read as
        ``<prefix><part>.``.
    """
    if not key.startswith(prefix):
        return key
    return prefix + _WRAPPER_LEVEL.sub(r'\1', key[len(prefix):], count=1)


def drop_wrapper_names(state_dict: StateDict, prefix: str = '') -> StateDict:
    """A copy of ``state_dict`` with every key read by the rule above.

    Args:
        state_dict (Mapping): An algorithm's state dict, from a checkpoint
            of any age; its ``_metadata`` (if any) is renamed alike.
        prefix (str): See :func:`unwrapped_name`. Defaults to ''.

    Returns:
        OrderedDict: The renamed state dict, in the same order.

    Raises:
        ValueError: If two keys become one (a checkpoint holding a part both
            with and without its wrapper level).
    """
    renamed: Dict = OrderedDict()
    for key, value in state_dict.items():
        name = unwrapped_name(key, prefix)
        if name in renamed:
            raise ValueError(
                f'The checkpoint holds {name!r} twice, once under the DDP '
                f'wrapper\'s name {key!r}; it mixes two models. Load a '
                'checkpoint written by one run.')
        renamed[name] = value
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        renamed._metadata = type(metadata)(
            (unwrapped_name(key, prefix), value)
            for key, value in metadata.items())
    return renamed


def _replace_in_place(state_dict: Dict, renamed: Mapping) -> None:
    """Make ``state_dict`` hold ``renamed``'s items, in its order."""
    metadata = getattr(renamed, '_metadata', None)
    state_dict.clear()
    state_dict.update(renamed)
    if metadata is not None:
        state_dict._metadata = metadata


def _save_unwrapped(module: nn.Module, state_dict: Dict, prefix: str,
                    local_metadata: dict) -> None:
    """``state_dict`` post-hook: the algorithm's keys without wrappers."""
    _replace_in_place(state_dict, drop_wrapper_names(state_dict, prefix))


def _load_unwrapped(module: nn.Module, state_dict: Dict, prefix: str,
                    *args) -> None:
    """``load_state_dict`` pre-hook: read an older checkpoint's wrapper
    names as the parts' own (the loaders read each module's metadata before
    any hook runs, so only the keys matter here)."""
    renamed = drop_wrapper_names(state_dict, prefix)
    state_dict.clear()
    state_dict.update(renamed)


def keep_unwrapped_names(algorithm: nn.Module) -> None:
    """Make ``algorithm`` save, and load, its parts under their own names.

    Call it in the algorithm's ``__init__``.

    Args:
        algorithm (nn.Module): The algorithm whose parts a wrapper such as
            ``MMSeparateDistributedDataParallel`` may wrap.
    """
    algorithm.register_state_dict_post_hook(_save_unwrapped)
    algorithm.register_load_state_dict_pre_hook(_load_unwrapped)
