# Copyright (c) mmskd contributors. All rights reserved.
"""The repository's configs as the tests load them: paths, shrunk copies,
the leaves of each scope and one leaf per method."""
import copy
import functools
import glob
import os.path as osp
import re
from typing import Dict, Iterable, Set, Union

import pytest
from mmengine.config import Config

from ._options import tiny_seg_options

# The checkout the suite runs from (mmskd/testing/ is two levels down).
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_ROOT = osp.join(REPO, 'configs')
# Config folders whose leaves train end to end in tests of their own.
TESTED_ON_THEIR_OWN = ('demo', 'ablation', 'depth', 'video', 'ka',
                       'multi_teacher', 'multitask')
CWD_LOGITS = osp.join(
    CONFIG_ROOT, 'cwd/'
    'cwd_logits_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


def tiny_cfg(config: str, data_root: str, **kwargs) -> Config:
    """Load a real config and shrink it with ``tiny_seg_options``.

    Args:
        config (str): The config file.
        data_root (str): A generated dataset of the config's layout.
        **kwargs: Passed to ``tiny_seg_options``.

    Returns:
        Config: The shrunk config.
    """
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(tiny_seg_options(cfg, data_root, **kwargs))
    return cfg


@functools.lru_cache(maxsize=None)
def _leaf_configs() -> Dict[str, Union[Config, Exception]]:
    """Every leaf under configs/ that the config sweeps train, loaded once
    (see :func:`leaf_configs`)."""
    configs: Dict[str, Union[Config, Exception]] = {}
    for path in sorted(
            glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)):
        name = osp.relpath(path, CONFIG_ROOT)
        parts = name.split(osp.sep)
        if '_base_' in parts or parts[0] in TESTED_ON_THEIR_OWN:
            continue
        try:
            configs[name] = Config.fromfile(path)
        except Exception as error:  # reported by the tests that use it
            configs[name] = error
    return configs


def leaf_configs(scope: str) -> Dict[str, Union[Config, Exception]]:
    """Every model-zoo config under configs/ of one default scope.

    Bases are left out, and so are configs/demo/ (the CPU demo's teacher,
    student and distilled configs, trained end to end by test_demo.py),
    configs/ablation/ (the ablation tables' rows, trained by
    tests/test_ablation and test_ablation_tool.py) and configs/depth/,
    configs/video/, configs/ka/, configs/multi_teacher/ and
    configs/multitask/ (trained by their own tests).
    Keys are paths relative to configs/. A config that does not load is kept
    as its exception (under every scope), so that its tests fail with the
    reason instead of silently dropping it. The configs are loaded once
    per session and shared: change only the copies :func:`loaded_config`
    gives.

    Args:
        scope (str): ``'mmseg'`` or ``'mmdet'``.

    Returns:
        dict: Relative path -> loaded Config (or the loading error).
    """
    return {
        name: cfg
        for name, cfg in _leaf_configs().items()
        if isinstance(cfg, Exception) or cfg.get('default_scope') == scope
    }


def loaded_config(configs: Dict[str, Union[Config, Exception]],
                  name: str) -> Config:
    """A copy of ``configs[name]``, failing the test if it did not load."""
    cfg = configs[name]
    if isinstance(cfg, Exception):
        pytest.fail(f'configs/{name} does not load: {cfg!r}')
    return copy.deepcopy(cfg)


# A leaf's method: its name up to the teacher's model family.
METHOD = re.compile(
    r'^(?:\w+/)?(.+?)_(?:pspnet|deeplabv3plus|deeplabv3|fcos|retinanet|'
    r'reppoints|gfl)_')


def one_per_method(names: Iterable[str]) -> Set[str]:
    """The first leaf, in sorted order, of each method (``cwd_logits``,
    ``skd_pi_pa_alpha_fusion``, ...): the sweep trains every leaf in fp32
    and these under ``--amp`` too, since mixed precision changes how a
    method's terms run, not how a dataset or pair is loaded.

    Args:
        names (Iterable[str]): Leaf names relative to ``configs/``.

    Returns:
        set[str]: The chosen names.
    """
    chosen: Dict[str, str] = {}
    for name in sorted(names):
        match = METHOD.match(name)
        chosen.setdefault(match.group(1) if match else name, name)
    return set(chosen.values())
