# Copyright (c) mmskd contributors. All rights reserved.
"""The ``mmskd`` registry scope.

Every registry is a child of mmrazor's (and so of mmengine's root), so a type
written in an mmskd config resolves mmskd's own modules first, then mmrazor's
(``ConfigurableDistiller``, recorders, connectors, losses), then mmengine's.
mmseg/mmdet types resolve through the config's ``default_scope`` or an
explicit ``mmseg.``/``mmdet.`` prefix, as usual in OpenMMLab 2.0.
"""
from mmskd.utils.mmrazor_compat import patch_mmrazor_quantization_import

patch_mmrazor_quantization_import()

from mmengine.registry import Registry  # noqa: E402
from mmrazor.registry import HOOKS as MMRAZOR_HOOKS  # noqa: E402
from mmrazor.registry import LOOPS as MMRAZOR_LOOPS  # noqa: E402
from mmrazor.registry import MODEL_WRAPPERS as MMRAZOR_MODEL_WRAPPERS  # noqa
from mmrazor.registry import MODELS as MMRAZOR_MODELS  # noqa: E402
from mmrazor.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMRAZOR_OPTIM_WRAPPER_CONSTRUCTORS  # noqa
from mmrazor.registry import OPTIM_WRAPPERS as MMRAZOR_OPTIM_WRAPPERS  # noqa
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
    parent=MMRAZOR_MODEL_WRAPPERS,
    scope='mmskd',
    locations=['mmskd.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMRAZOR_OPTIM_WRAPPERS,
    scope='mmskd',
    locations=['mmskd.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMRAZOR_OPTIM_WRAPPER_CONSTRUCTORS,
    scope='mmskd',
    locations=['mmskd.engine'])
HOOKS = Registry(
    'hook', parent=MMRAZOR_HOOKS, scope='mmskd', locations=['mmskd.engine'])
LOOPS = Registry(
    'loop', parent=MMRAZOR_LOOPS, scope='mmskd', locations=['mmskd.engine'])
