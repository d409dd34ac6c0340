# Copyright (c) mmskd contributors. All rights reserved.
"""Fixtures shared by the suite; shared helpers are in ``mmskd.testing``."""
import copy
import functools
from typing import Callable, Dict

import mmengine.config.config as mmengine_config
import mmengine.config.utils as mmengine_config_utils
import mmengine.runner.runner as mmengine_runner
import pytest
from mmengine.registry import DefaultScope

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
from mmskd.testing import write_cityscapes_like


def _remembered(function: Callable) -> Callable:
    """``function`` with its result or its exception kept per arguments."""
    outcomes: Dict[tuple, tuple] = {}

    @functools.wraps(function)
    def wrapper(*args):
        if args not in outcomes:
            try:
                outcomes[args] = (True, function(*args))
            except Exception as error:
                outcomes[args] = (False, error)
        ok, value = outcomes[args]
        if ok:
            return value
        raise copy.copy(value)

    return wrapper


# mmengine resolves each `mmseg::`/`mmdet::` reference of a config by
# reading all of that package's metafiles (53 YAML files for mmseg 1.2.2, a
# third of a second), and for a `_base_/...` reference it does so only to
# fail and fall back to the package's `_base_` folder. The suite loads every
# config several times, so each reference's outcome is kept for the session;
# the same files are found as without it.
mmengine_config_utils._get_cfg_metainfo = _remembered(
    mmengine_config_utils._get_cfg_metainfo)


# The suite's longest files (from `make test`'s slowest durations), started
# first: with --no-loadscope-reorder (the Makefile) pytest-xdist hands whole
# files to its workers in collection order, and a long file collected last
# runs alone at the end while the other worker idles.
LONGEST_FIRST = (
    'test_tools/test_ablation_tool.py',
    'test_tools/test_demo.py',
    'test_tools/test_ka_two_phases.py',
    'test_tools/test_search_aux.py',
    'test_configs/test_depth_distill_configs.py',
    'test_tools/test_video_training.py',
    'test_tools/test_unlabelled_training.py',
    'test_tools/test_skd_launchers.py',
    'test_tools/test_train_launchers.py',
)


def _longest_first_rank(item: pytest.Item) -> int:
    path = item.nodeid.split('::', 1)[0]
    for rank, name in enumerate(LONGEST_FIRST):
        if path.endswith(name):
            return rank
    return len(LONGEST_FIRST)


def pytest_collection_modifyitems(config: pytest.Config,
                                  items: list) -> None:
    """Put the longest files first (a stable sort keeps every other
    file's order and each file's own order)."""
    items.sort(key=_longest_first_rank)


@pytest.fixture(scope='session')
def cityscapes_root(tmp_path_factory) -> str:
    """A generated Cityscapes-layout dataset of 64x128 images."""
    return write_cityscapes_like(str(tmp_path_factory.mktemp('cityscapes')))


@pytest.fixture(scope='module')
def fast_runner():
    """Skip the Runner's slow, untested chores: yapf-formatting the config
    for its log and checkpoints (it stays valid, unformatted Python), and
    probing compilers for the environment report."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmengine_config, 'FormatCode',
                      lambda text, **kwargs: (text, True))
        patch.setattr(mmengine_runner, 'collect_env', lambda: {})
        yield


@pytest.fixture(autouse=True)
def restore_default_scope():
    """Leave mmengine's default scope as each test found it.

    ``init_default_scope`` and the Runner set a global default scope (e.g.
    'mmseg') that would otherwise decide how later tests' unscoped
    ``MODELS.build`` calls resolve, making results depend on test order.
    """
    instances = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(instances)
