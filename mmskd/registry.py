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
"""
from mmskd.utils.mmrazor_compat import patch_mmrazor_quantization_import

patch_mmrazor_quantization_import()

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

MODELS = Registry(
    'model', parent=MMRAZOR_MODELS, scope='mmskd', locations=['mmskd.models'])
TASK_UTILS = Registry(
    'task util',
    parent=MMRAZOR_TASK_UTILS,
    scope='mmskd',
    locations=['mmskd.models'])
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
