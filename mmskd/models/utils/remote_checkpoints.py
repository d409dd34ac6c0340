# Copyright (c) mmskd contributors. All rights reserved.
"""Model-zoo downloads that fail offline say which config key to set.

mmengine fetches weights from URLs and ``open-mmlab://``-style names in
several places: a backbone's ``pretrained``/``init_cfg`` (at
``init_weights``, when training starts), ``load_from`` and a distillation
``teacher_ckpt``. Without network each ends in a raw ``urllib`` traceback.
:func:`explain_fetch_failures` registers mmengine's own remote loaders again
(``CheckpointLoader.register_scheme``, the documented extension point),
wrapped so that a failed fetch raises :class:`RemoteCheckpointError`: where
to put the file so that mmengine finds it offline, and which key to set.
Inside :func:`naming_config_keys` the error names the exact keys of the
config that hold the failed location.
"""
import functools
import os.path as osp
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import (CheckpointLoader, get_external_models,
                                        get_mmcls_models,
                                        get_torchvision_models, load_from_http,
                                        load_from_mmcls, load_from_openmmlab,
                                        load_from_torchvision)

from .architecture import load_model_cfg

#: mmengine's remote loaders, by the prefixes they are registered for.
REMOTE_LOADERS = (
    (('http://', 'https://'), load_from_http),
    (('open-mmlab://', 'openmmlab://'), load_from_openmmlab),
    (('modelzoo://', 'torchvision://'), load_from_torchvision),
    ('mmcls://', load_from_mmcls),
)
#: Where the keys usually are, for an error raised outside a known config.
USUAL_KEYS = (
    '`model.pretrained` or a module\'s `init_cfg` of type \'Pretrained\' '
    '(e.g. `model.backbone.init_cfg`; a backbone\'s ImageNet weights, in a '
    'distillation config under `model.architecture.` or `model.teacher.`), '
    '`model.teacher_ckpt` (a distillation teacher) or `load_from`')


class RemoteCheckpointError(RuntimeError):
    """A checkpoint could not be fetched; the message says what to set.

    Args:
        location (str): The URL or ``scheme://name`` that failed.
        reason (str): Why, e.g. ``'<urlopen error ...>'``.
        keys (Sequence[str]): Config keys holding ``location``; empty when
            they are not known (the message then lists the usual ones).
        setting (str, optional): What names ``location`` when that is no
            config key, e.g. ``'the CHECKPOINT argument'``.
    """

    def __init__(self,
                 location: str,
                 reason: str,
                 keys: Sequence[str] = (),
                 setting: Optional[str] = None) -> None:
        self.location, self.reason = location, reason
        self.keys, self.setting = list(keys), setting
        super().__init__(self._message())

    def _message(self) -> str:
        url = download_url(self.location) or self.location
        file = osp.basename(url.split('?')[0])
        cache = osp.join(torch.hub.get_dir(), 'checkpoints', file)
        return (f'Could not fetch the checkpoint {self.location} '
                f'({self.reason}). On a machine without network, put the '
                f'file {url} at {cache} (mmengine looks there first), or '
                f'{self._instead(file)}.')

    def _instead(self, file: str) -> str:
        """The sentence end naming what to set instead."""
        if self.setting is not None:
            return f'give {self.setting} a local file'
        if self.keys:
            where, example = ' or '.join(f'`{key}`'
                                         for key in self.keys), self.keys[0]
        else:
            where = f'the config key that names it ({USUAL_KEYS})'
            example = 'model.pretrained'
        # None is no way out for a teacher: it would teach noise.
        without = '' if example.endswith('teacher_ckpt') else \
            ', or to None to go without these weights'
        return (f'set {where} to a local file, e.g. `--cfg-options '
                f'{example}=/path/to/{file}`{without}')


def download_url(location: str) -> Optional[str]:
    """The http(s) URL mmengine downloads for ``location``.

    Args:
        location (str): A URL or an ``open-mmlab://``, ``torchvision://``
            or ``mmcls://`` name.

    Returns:
        str, optional: The URL, or None for a name mmengine does not know.
    """
    if location.startswith(('http://', 'https://')):
        return location
    scheme, _, name = location.partition('://')
    tables = {
        'open-mmlab': get_external_models,
        'openmmlab': get_external_models,
        'torchvision': get_torchvision_models,
        'modelzoo': get_torchvision_models,
        'mmcls': get_mmcls_models,
    }
    try:
        url = tables[scheme]()[name]
    except (KeyError, ImportError):
        return None
    return url if url.startswith(('http://', 'https://')) else None


def _explained(loader: Callable) -> Callable:
    """``loader`` raising :class:`RemoteCheckpointError` when a fetch
    fails (urllib's errors are ``OSError``)."""

    # wraps: mmengine logs the loader's name ("by http backend").
    @functools.wraps(loader)
    def load(filename: str, *args, **kwargs) -> Any:
        try:
            return loader(filename, *args, **kwargs)
        except OSError as error:
            raise RemoteCheckpointError(filename, str(error)) from error

    return load


def explain_fetch_failures() -> None:
    """Make mmengine's remote checkpoint loaders explain their failures.

    Idempotent: each call wraps mmengine's original loaders again.
    """
    for prefixes, loader in REMOTE_LOADERS:
        CheckpointLoader.register_scheme(
            prefixes, _explained(loader), force=True)


def config_keys_naming(node: Any, location: str, path: str = '') -> List[str]:
    """The dotted keys under ``node`` whose value is ``location``.

    A ``dict(cfg_path=..., **overrides)`` model reference is looked into as
    the model it expands to: the key of the referenced config's
    ``pretrained`` is ``<path>.pretrained``, which ``--cfg-options`` sets
    as an override.

    Args:
        node: A config or any part of it.
        location (str): The URL or ``scheme://name``.
        path (str): The dotted key of ``node``. Defaults to ''.

    Returns:
        list[str]: The keys, in the config's order.
    """
    if isinstance(node, dict) and 'cfg_path' in node:
        try:
            node = load_model_cfg(node)
        except (OSError, ImportError):
            pass  # an unreadable reference holds no key we could name
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        return [path] if isinstance(node, str) and node == location else []
    return [
        key for name, value in items for key in config_keys_naming(
            value, location, f'{path}.{name}' if path else str(name))
    ]


@contextmanager
def naming_config_keys(cfg: Any) -> Iterator[None]:
    """Name ``cfg``'s keys in a :class:`RemoteCheckpointError` raised inside.

    Args:
        cfg (Config | dict): The config of what runs inside.

    Raises:
        RemoteCheckpointError: The one raised inside, naming the keys of
        ``cfg`` that hold the failed location (unchanged when none does).
    """
    try:
        yield
    except RemoteCheckpointError as error:
        if error.keys or error.setting is not None:
            raise  # it already names what to set
        root = cfg.to_dict() if isinstance(cfg, Config) else cfg
        keys = config_keys_naming(root, error.location)
        if not keys:
            raise
        raise RemoteCheckpointError(error.location, error.reason,
                                    keys) from error.__cause__
