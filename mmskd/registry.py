# Copyright (c) mmskd contributors. All rights reserved.
"""The ``mmskd`` registry scope.

``MODELS`` and ``TASK_UTILS`` are children of mmrazor's (and so of mmengine's
root): inside an mmskd model (``_scope_='mmskd'``) a type resolves mmskd's
own modules first, then mmrazor's (``ConfigurableDistiller``, recorders,
connectors, losses), then mmengine's. mmseg/mmdet types resolve through the
referenced model config's own scope.

The engine registries (optimizer-wrapper constructors, model wrappers,
hooks, loops, metrics, visualizers) are children of mmengine's root instead:
the Runner builds them from top-level config keys such as
``optim_wrapper.constructor`` or ``val_evaluator``, where only a direct child
of the root is found by a ``'mmskd.'`` prefix.

``MODELS`` and ``TASK_UTILS`` build through :func:`build_in_mmskd_scope`, so
an algorithm builds its parts with a plain ``MODELS.build(cfg)``: a
``cfg_path`` reference is expanded into the referenced model config and
built in that config's scope (as mmrazor's ``build_razor_model_from_cfg``
does through ``mmengine.hub``, but without ever installing a package), and
a part without ``_scope_`` whose type this scope knows is built in the
``mmskd`` scope whatever the caller's default scope is.
"""
from typing import Any, Optional, Union

from mmskd.utils.mmrazor_compat import patch_mmrazor_quantization_import

patch_mmrazor_quantization_import()

from mmengine.config import Config, ConfigDict  # noqa: E402
from mmengine.registry import HOOKS as MMENGINE_HOOKS  # noqa: E402
from mmengine.registry import LOOPS as MMENGINE_LOOPS  # noqa: E402
from mmengine.registry import METRICS as MMENGINE_METRICS  # noqa: E402
from mmengine.registry import \
    MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS  # noqa: E402
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS  # noqa
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS  # noqa
from mmengine.registry import \
    VISUALIZERS as MMENGINE_VISUALIZERS  # noqa: E402
from mmengine.registry import Registry  # noqa: E402
from mmrazor.registry import MODELS as MMRAZOR_MODELS  # noqa: E402
from mmrazor.registry import TASK_UTILS as MMRAZOR_TASK_UTILS  # noqa: E402
from mmrazor.registry.registry import build_razor_model_from_cfg  # noqa: E402
from torch import nn  # noqa: E402

CfgType = Union[dict, ConfigDict, Config]


def build_in_mmskd_scope(cfg: Union[CfgType, nn.Module],
                         registry: Registry,
                         default_args: Optional[CfgType] = None) -> Any:
    """Build an mmskd part, or a model referenced by ``cfg_path``.

    - An ``nn.Module`` is returned as it is (an algorithm given a built
      student or teacher).
    - ``dict(cfg_path='mmseg::pspnet/x.py', **overrides)`` becomes the
      ``model`` of that config merged with the overrides (see
      :func:`mmskd.models.utils.load_model_cfg`, whose errors name the fix)
      and is built in that config's ``default_scope``.
    - Otherwise a config with ``_scope_`` is built there. One without it is
      built in this registry's scope (``mmskd``: mmskd's types, then
      mmrazor's, then mmengine's) if that scope knows its type, else in the
      caller's default scope (e.g. an inline mmseg model under mmseg's).

    Like mmrazor's build function, which it replaces for this scope, it
    honours ``_return_architecture_``.

    Args:
        cfg (dict | ConfigDict | Config | nn.Module): The config, a
            ``cfg_path`` reference with overrides, or a built module.
        registry (Registry): The registry whose ``build`` was called.
        default_args (dict | ConfigDict | Config, optional): Default
            arguments. Defaults to None.

    Returns:
        Any: The built object.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    if 'cfg_path' in cfg:
        # Lazy: mmskd.models imports this module.
        from mmskd.models.utils.architecture import load_model_cfg
        cfg = load_model_cfg(cfg)
    elif '_scope_' not in cfg and _knows_type(registry, cfg, default_args):
        cfg = dict(cfg, _scope_=registry.scope)
    return build_razor_model_from_cfg(cfg, registry, default_args)


def _knows_type(registry: Registry, cfg: CfgType,
                default_args: Optional[CfgType]) -> bool:
    """Whether ``registry``'s scope resolves the type of ``cfg``."""
    obj_type = cfg.get('type', (default_args or {}).get('type'))
    return not isinstance(obj_type, str) or \
        registry.get(obj_type) is not None


MODELS = Registry(
    'model',
    parent=MMRAZOR_MODELS,
    scope='mmskd',
    locations=['mmskd.models'],
    build_func=build_in_mmskd_scope)
TASK_UTILS = Registry(
    'task util',
    parent=MMRAZOR_TASK_UTILS,
    scope='mmskd',
    locations=['mmskd.models'],
    build_func=build_in_mmskd_scope)
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    scope='mmskd',
    locations=['mmskd.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    scope='mmskd',
    locations=['mmskd.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    scope='mmskd',
    locations=['mmskd.engine'])
HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, scope='mmskd', locations=['mmskd.engine'])
LOOPS = Registry(
    'loop', parent=MMENGINE_LOOPS, scope='mmskd', locations=['mmskd.engine'])
METRICS = Registry(
    'metric',
    parent=MMENGINE_METRICS,
    scope='mmskd',
    locations=['mmskd.evaluation'])
VISUALIZERS = Registry(
    'visualizer',
    parent=MMENGINE_VISUALIZERS,
    scope='mmskd',
    locations=['mmskd.visualization'])
