# Copyright (c) mmskd contributors. All rights reserved.
"""mmskd's MODELS/TASK_UTILS build function: ``cfg_path`` references and
the scope every mmskd part is built in."""
import pytest
from mmengine.registry import DefaultScope
from torch import nn

import mmskd.models  # noqa: F401
from mmskd.models.distillers import check_recorder_exists
from mmskd.registry import MODELS, TASK_UTILS

SCOPES = [None, 'mmseg', 'mmdet', 'mmrazor', 'mmskd']


def _in_scope(scope):
    return DefaultScope.overwrite_default_scope(scope)


@pytest.fixture
def preprocessor_cfg(tmp_path) -> str:
    """A local model config in mmseg's scope (a light mmseg model)."""
    path = tmp_path / 'model.py'
    path.write_text("default_scope = 'mmseg'\n"
                    "model = dict(type='SegDataPreProcessor', pad_val=0)\n")
    return str(path)


@pytest.mark.parametrize('scope', SCOPES)
def test_cfg_path_builds_in_the_referenced_scope(preprocessor_cfg, scope):
    from mmseg.models import SegDataPreProcessor
    with _in_scope(scope):
        model = MODELS.build(dict(cfg_path=preprocessor_cfg, pad_val=3))
    assert isinstance(model, SegDataPreProcessor)
    assert model.pad_val == 3  # the overrides merge into the model


@pytest.mark.parametrize('scope', SCOPES)
def test_mmskd_parts_build_in_the_mmskd_scope(scope):
    from mmskd.models.discriminators import HolisticDiscriminator
    with _in_scope(scope):
        disc = MODELS.build(dict(type='HolisticDiscriminator', in_channels=3))
        manager = TASK_UTILS.build(
            dict(
                type='RecorderManager',
                recorders=dict(
                    logits=dict(type='ModuleOutputs', source='conv'))))
    assert isinstance(disc, HolisticDiscriminator)
    assert list(manager.recorders) == ['logits']


def test_inline_models_of_the_callers_scope_still_build():
    from mmseg.models import SegDataPreProcessor
    with _in_scope('mmseg'):
        model = MODELS.build(dict(type='SegDataPreProcessor'))
    assert isinstance(model, SegDataPreProcessor)


def test_a_built_module_passes_through():
    module = nn.Conv2d(1, 1, 1)
    assert MODELS.build(module) is module


def test_cfg_path_errors_name_the_fix(tmp_path):
    with pytest.raises(ModuleNotFoundError, match='mim install'):
        MODELS.build(dict(cfg_path='no_such_package_xyz::a/b.py'))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        MODELS.build(dict(cfg_path=str(tmp_path / 'missing.py')))


def test_hub_pretrained_true_is_refused(preprocessor_cfg):
    with pytest.raises(ValueError, match='teacher_ckpt='):
        MODELS.build(dict(cfg_path=preprocessor_cfg, pretrained=True))


def test_missing_recorder_names_the_closest():
    check_recorder_exists(['logits'], 'logits', 'student_recorder', 'x')
    with pytest.raises(ValueError) as error:
        check_recorder_exists(['feature', 'logits'], 'logit',
                              'student_recorder',
                              'distiller.student_recorders')
    message = str(error.value)
    assert "student_recorder is 'logit'" in message
    assert "Did you mean 'logits'?" in message
    assert "it has ['feature', 'logits']" in message
    assert 'distiller.student_recorders' in message
