# Copyright (c) mmskd contributors. All rights reserved.
"""Build a student or teacher from a model-zoo config path plus overrides."""
import copy
import importlib.util
import os.path as osp
from typing import Union

from mmengine.config import Config, ConfigDict
from mmengine.utils import get_installed_path


def resolve_config_path(cfg_path: str) -> str:
    """Turn ``'mmseg::pspnet/x.py'`` into the file in the installed package.

    Unlike ``mmengine.hub.get_config`` this never tries to ``pip install`` a
    missing package (which hangs on an offline cluster node).

    Args:
        cfg_path (str): ``package::relative/path.py`` or a local path.

    Returns:
        str: An existing local file path.
    """
    if '::' in cfg_path:
        package, relative = cfg_path.split('::', 1)
        if importlib.util.find_spec(package) is None:
            raise ModuleNotFoundError(
                f'Config {cfg_path!r} lives in the package {package!r}, which '
                f'is not installed. Install it (e.g. `mim install {package}`) '
                'or point cfg_path at a local config file.')
        local = osp.join(
            get_installed_path(package), '.mim', 'configs', relative)
    else:
        local = osp.expanduser(cfg_path)
    if not osp.isfile(local):
        raise FileNotFoundError(
            f'Model config {cfg_path!r} does not exist (looked at {local}).')
    return local


def _strip_hub_pretrained(overrides: dict, cfg_path: str) -> None:
    """Drop mmrazor's ``pretrained=False`` hub flag from the overrides.

    mmrazor configs write ``dict(cfg_path=..., pretrained=False)``, where the
    flag asks ``mmengine.hub`` for model-zoo weights. Here the remaining keys
    override the model config, whose own ``pretrained`` is a backbone path, so
    the boolean form is consumed instead of being passed on.
    """
    flag = overrides.get('pretrained')
    if not isinstance(flag, bool):
        return
    del overrides['pretrained']
    if flag:
        raise ValueError(
            f'pretrained=True for {cfg_path!r} would need mmengine.hub to '
            'download weights; give the checkpoint explicitly instead '
            '(`teacher_ckpt=` for the teacher, `init_cfg=dict(type='
            '\'Pretrained\', checkpoint=...)` for the student).')


def load_model_cfg(cfg: Union[dict, ConfigDict]) -> ConfigDict:
    """Expand ``dict(cfg_path=..., **overrides)`` into a full model config.

    The ``model`` of the referenced config is merged with ``overrides``
    (``_delete_`` works as in ``_base_`` inheritance) and tagged with that
    config's ``default_scope`` as ``_scope_``. A dict without ``cfg_path`` is
    returned as a copy.

    Args:
        cfg (dict | ConfigDict): A model config or a ``cfg_path`` reference.

    Returns:
        ConfigDict: The model config.
    """
    overrides = copy.deepcopy(dict(cfg))
    cfg_path = overrides.pop('cfg_path', None)
    if cfg_path is None:
        return ConfigDict(overrides)
    _strip_hub_pretrained(overrides, cfg_path)
    base = Config.fromfile(resolve_config_path(cfg_path))
    merged = Config(dict(model=base.model))
    merged.merge_from_dict(dict(model=overrides))
    model_cfg = merged.model
    scope = base.get('default_scope')
    if scope is not None:
        model_cfg.setdefault('_scope_', scope)
    return model_cfg
