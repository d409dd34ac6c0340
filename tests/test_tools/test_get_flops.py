# Copyright (c) mmskd contributors. All rights reserved.
"""tools/analysis_tools/get_flops.py against a hand count."""
import json
import os
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmskd.analysis import config_input_shape
from mmskd.testing import REPO

# A one-conv backbone the test registers in mmseg's scope (the config
# imports it with custom_imports, as a user's own module would be).
TOY_MODULE = '''
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import nn


@MODELS.register_module()
class FlopsToyBackbone(BaseModule):

    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)

    def forward(self, x):
        return (self.conv(x).relu(), )
'''

CONFIG = '''
custom_imports = dict(imports=['mmskd', 'flops_toy'])
default_scope = 'mmseg'


def segmentor(width):
    return dict(
        _scope_='mmseg',
        type='EncoderDecoder',
        data_preprocessor=dict(
            type='SegDataPreProcessor', size=(16, 24),
            mean=[0, 0, 0], std=[1, 1, 1]),
        backbone=dict(type='FlopsToyBackbone', width=width),
        decode_head=dict(
            type='FCNHead', in_channels=width, channels=width, num_convs=0,
            concat_input=False, dropout_ratio=0, num_classes=19))


model = dict(
    _scope_='mmskd',
    type='StructuredDistill',
    architecture=segmentor(4),
    teacher=segmentor(8),
    distiller=dict(
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='decode_head.conv_seg')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='decode_head.conv_seg')),
        distill_losses=dict(loss_cwd=dict(type='ChannelWiseDivergence')),
        loss_forward_mappings=dict(loss_cwd=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits')))))
'''


def hand_count(width: int, height: int = 16, image_width: int = 24) -> dict:
    """Params and multiply-adds of the toy segmentor of ``width``.

    3x3 conv 3 -> width (padding 1, bias), then the 1x1 conv_seg
    width -> 19 (bias), both at the input resolution.
    """
    pixels = height * image_width
    return dict(
        params=(width * 3 * 9 + width) + (19 * width + 19),
        flops=pixels * width * 3 * 9 + pixels * 19 * width)


@pytest.fixture
def toy_config(tmp_path) -> str:
    (tmp_path / 'flops_toy.py').write_text(TOY_MODULE)
    config = tmp_path / 'toy_distill.py'
    config.write_text(CONFIG)
    return str(config)


def run_get_flops(config: str, tmp_path, *extra: str) -> dict:
    out = str(tmp_path / 'flops.json')
    # The toy module is importable from tmp_path (run_command's PYTHONPATH
    # is the repository alone).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, str(tmp_path)]))
    result = subprocess.run([
        sys.executable, 'tools/analysis_tools/get_flops.py', config, '--out',
        out, *extra
    ], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    with open(out) as file:
        return dict(json.load(file), stdout=result.stdout)


def test_counts_teacher_and_student_at_the_config_size(toy_config,
                                                       tmp_path):
    results = run_get_flops(toy_config, tmp_path)
    for role, width in (('teacher', 8), ('student', 4)):
        assert results[role]['shape'] == [16, 24]
        expected = hand_count(width)
        assert results[role]['params'] == expected['params'], role
        assert results[role]['flops'] == expected['flops'], role
    # 395 / 207 parameters, 141,312 / 70,656 multiply-adds.
    assert hand_count(8) == dict(params=395, flops=141312)
    assert '| teacher | 16x24 |' in results['stdout']
    assert '| student / teacher | 52.4% | 50.0% |' in results['stdout']


def test_shape_option_and_input_scales_scale_the_flops(toy_config, tmp_path):
    # A student at half the teacher's resolution counts at its own size.
    results = run_get_flops(toy_config, tmp_path, '--shape', '32', '24',
                            '--cfg-options', 'model.input_scales.student=0.5')
    assert results['teacher']['shape'] == [32, 24]
    assert results['teacher']['flops'] == hand_count(8, 32, 24)['flops']
    assert results['teacher']['params'] == hand_count(8)['params']
    assert results['student']['shape'] == [16, 12]
    assert results['student']['flops'] == hand_count(4, 16, 12)['flops']
    assert '| student | 16x12 |' in results['stdout']


def test_input_shape_of_real_configs():
    seg = Config.fromfile(
        f'{REPO}/configs/cwd/cwd_logits_pspnet_r101-d8_pspnet_r18-d8_'
        '4xb2-80k_cityscapes-512x1024.py')
    assert config_input_shape(seg) == (512, 1024)
    det = Config.fromfile(
        f'{REPO}/configs/cwd/cwd_fpn_gfl_r101_gfl_r50_1x_coco.py')
    assert config_input_shape(det) == (800, 1333)
