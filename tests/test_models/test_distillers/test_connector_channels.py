# Copyright (c) mmskd contributors. All rights reserved.
"""Connector widths read off the recorded modules."""
import pytest
from torch import nn

from mmskd.models.distillers import infer_connector_channels


class Tiny(nn.Module):

    def __init__(self, width: int):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 1)
        self.norm = nn.BatchNorm2d(width)
        self.act = nn.ReLU()


def distiller(connector: dict, recorder_type: str = 'ModuleOutputs') -> dict:
    recorders = dict(feat=dict(type=recorder_type, source='conv'))
    return dict(
        student_recorders=recorders,
        teacher_recorders=recorders,
        connectors=dict(up=connector),
        loss_forward_mappings=dict(
            loss=dict(
                preds_S=dict(
                    from_student=True, recorder='feat', connector='up'),
                preds_T=dict(from_student=False, recorder='feat'))))


def test_student_connector_maps_student_width_to_teacher_width():
    cfg = distiller(dict(type='mmrazor.ConvModuleConnector'))
    filled = infer_connector_channels(cfg, Tiny(16), Tiny(64))
    assert filled['connectors']['up']['in_channel'] == 16
    assert filled['connectors']['up']['out_channel'] == 64
    assert 'in_channel' not in cfg['connectors']['up']  # not modified


def test_given_widths_are_kept_and_norm_layers_give_num_features():
    cfg = distiller(dict(type='mmrazor.ConvModuleConnector', out_channel=7))
    cfg['teacher_recorders'] = dict(
        feat=dict(type='ModuleOutputs', source='norm'))
    filled = infer_connector_channels(cfg, Tiny(16), Tiny(64))
    assert filled['connectors']['up'] == dict(
        type='mmrazor.ConvModuleConnector', in_channel=16, out_channel=7)


def test_module_inputs_give_the_input_width():
    cfg = distiller(dict(type='X'), recorder_type='ModuleInputs')
    filled = infer_connector_channels(cfg, Tiny(16), Tiny(64))
    assert filled['connectors']['up']['in_channel'] == 3


def test_a_module_without_a_width_needs_it_in_the_config():
    cfg = distiller(dict(type='X'))
    for role in ('student_recorders', 'teacher_recorders'):
        cfg[role] = dict(feat=dict(type='ModuleOutputs', source='act'))
    with pytest.raises(
            ValueError, match=r'set in_channel in '
            r'distiller.connectors.up'):
        infer_connector_channels(cfg, Tiny(16), Tiny(64))


def test_a_list_connector_is_left_to_the_config():
    # FitNet's student connector: a 1x1 conv, then an upsampling.
    chain = [
        dict(type='mmrazor.ConvModuleConnector', in_channel=16,
             out_channel=64),
        dict(type='mmrazor.TorchFunctionalConnector',
             function_name='interpolate', func_args=dict(scale_factor=2))
    ]
    filled = infer_connector_channels(distiller(chain), Tiny(16), Tiny(64))
    assert filled['connectors']['up'] == chain


def test_a_stack_gives_the_output_width_of_its_last_layer():
    """DeepLabV3+'s sep_bottleneck: two depthwise-separable convs."""
    from mmcv.cnn import DepthwiseSeparableConvModule
    model = nn.Module()
    model.conv = nn.Sequential(
        DepthwiseSeparableConvModule(8, 12, 3, padding=1),
        DepthwiseSeparableConvModule(12, 20, 3, padding=1))
    cfg = distiller(dict(type='X'))
    filled = infer_connector_channels(cfg, model, Tiny(64))
    assert filled['connectors']['up'] == dict(
        type='X', in_channel=20, out_channel=64)
