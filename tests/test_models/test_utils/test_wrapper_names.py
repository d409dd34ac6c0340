# Copyright (c) mmskd contributors. All rights reserved.
"""An algorithm's state dict has its parts' own names whatever wraps them,
and checkpoints written with the wrapper level still load (the rule of
``mmskd.models.utils.wrapper_names``). The same under real processes:
tests/test_tools/test_skd_launchers.py and the other dist_train.sh tests."""
import os.path as osp
from collections import OrderedDict

import pytest
import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner.checkpoint import load_state_dict

from mmskd.models.utils import drop_wrapper_names
from mmskd.models.utils.wrapper_names import unwrapped_name
from mmskd.testing import REPO, tiny_cfg

SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


def as_ddp_part(module: torch.nn.Module) -> MMDistributedDataParallel:
    """``module`` held by a DDP wrapper as MMSeparateDistributedDataParallel
    holds each trainable part (without a process group: only the module
    tree matters here)."""
    wrapper = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    torch.nn.Module.__init__(wrapper)
    wrapper.module = module
    return wrapper


@pytest.fixture
def algorithm(cityscapes_root):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(tiny_cfg(SKD, cityscapes_root).model)


def test_the_rule_drops_the_level_after_a_first_level_part():
    assert unwrapped_name('architecture.module.backbone.w') == \
        'architecture.backbone.w'
    assert unwrapped_name('architecture.module') == 'architecture'
    # Deeper `module` names are the model's own.
    assert unwrapped_name('architecture.backbone.module.w') == \
        'architecture.backbone.module.w'
    assert unwrapped_name('teacher.backbone.w') == 'teacher.backbone.w'
    # Under a whole-model wrapper the rule applies below its prefix.
    assert unwrapped_name('module.architecture.module.w', 'module.') == \
        'module.architecture.w'
    assert unwrapped_name('other.module.w', 'module.') == 'other.module.w'


def test_a_part_saved_twice_is_refused():
    with pytest.raises(ValueError, match='mixes two models'):
        drop_wrapper_names(
            OrderedDict([('architecture.w', 1), ('architecture.module.w', 2)]))


def test_wrapped_parts_save_their_own_names(algorithm):
    plain = algorithm.state_dict()
    algorithm.architecture = as_ddp_part(algorithm.architecture)
    algorithm.discriminator = as_ddp_part(algorithm.discriminator)
    wrapped = algorithm.state_dict()
    assert list(wrapped) == list(plain)
    assert all(torch.equal(wrapped[key], plain[key]) for key in plain)
    assert 'architecture.backbone' in wrapped._metadata
    assert not any('.module' in key for key in wrapped._metadata)


@pytest.mark.parametrize('wrap', [False, True], ids=['plain', 'wrapped'])
def test_old_checkpoints_with_wrapper_names_load_every_tensor(
        algorithm, cityscapes_root, wrap):
    init_default_scope('mmseg')
    torch.manual_seed(1)
    trained = MODELS.build(tiny_cfg(SKD, cityscapes_root).model)
    old = OrderedDict(
        (key.replace('architecture.', 'architecture.module.', 1).replace(
            'discriminator.', 'discriminator.module.', 1), value)
        for key, value in trained.state_dict().items())
    if wrap:
        # mmengine's loader (load_from, --resume) on a multi-process model.
        algorithm.architecture = as_ddp_part(algorithm.architecture)
        load_state_dict(algorithm, old, strict=True)
    else:
        algorithm.load_state_dict(old, strict=True)
    loaded = algorithm.state_dict()
    expected = trained.state_dict()
    assert list(loaded) == list(expected)
    assert all(torch.equal(loaded[key], expected[key]) for key in expected)
