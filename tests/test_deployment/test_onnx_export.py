# Copyright (c) mmskd contributors. All rights reserved.
"""tools/deployment/pytorch2onnx.py and mmskd.deployment: a distilled
student exported to ONNX gives what it gives in PyTorch under onnxruntime,
from a distillation checkpoint or an exported student; what cannot be
exported is refused by name."""
import os.path as osp
import re
import runpy
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from torch import nn

from mmskd.benchmark import tiny_det_model_options
from mmskd.deployment import (StaticAdaptiveAvgPool2d,
                              UnsupportedOperatorError, example_inputs,
                              export_onnx, for_export, init_student,
                              onnx_difference, student_config)
from mmskd.testing import REPO

onnxruntime = pytest.importorskip('onnxruntime')

TOOL = osp.join(REPO, 'tools', 'deployment', 'pytorch2onnx.py')
SKD = osp.join(
    REPO, 'configs/ablation/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_1xb8-200_scenes-128x128.py')
STUDENT = osp.join(REPO, 'configs/demo/pspnet_r18-d8_w8_scenes-128x128.py')
RETINANET = osp.join(
    REPO, 'configs/cwd/cwd_fpn_retinanet_r101_retinanet_r50_2x_coco.py')
REPPOINTS = osp.join(
    REPO, 'configs/cwd/cwd_fpn_reppoints_x101-dcn_reppoints_r50_2x_coco.py')


@pytest.mark.parametrize('size, bins', [((16, 16), (3, 6)), ((7, 10), (6, 3)),
                                        ((12, 9), (1, 2)), ((5, 5), (5, 5)),
                                        ((4, 5), (6, None))])
def test_static_pooling_is_adaptive_pooling(size, bins):
    """PSPNet's 3x3 and 6x6 bins on sizes they do not divide."""
    x = torch.randn(2, 4, *size)
    assert torch.allclose(
        StaticAdaptiveAvgPool2d(bins)(x),
        F.adaptive_avg_pool2d(x, bins),
        atol=1e-6)


@pytest.fixture(scope='module')
def distilled(tmp_path_factory) -> dict:
    """A distillation run's checkpoint (student, teacher, discriminator) of
    the demo pair, and the student it holds, exported alone."""
    folder = tmp_path_factory.mktemp('onnx')
    cfg = Config.fromfile(SKD)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    algorithm = MODELS.build(cfg.model)
    run = str(folder / 'iter_300.pth')
    torch.save(dict(state_dict=algorithm.state_dict(), meta=dict()), run)
    exported = str(folder / 'student.pth')
    torch.save(
        dict(state_dict=algorithm.architecture.state_dict(), meta=dict()),
        exported)
    # A run in several processes, its student under its DDP wrapper's name.
    ddp = str(folder / 'iter_300_ddp.pth')
    torch.save(
        dict(
            state_dict={
                key.replace('architecture.', 'architecture.module.', 1): value
                for key, value in algorithm.state_dict().items()
            }), ddp)
    teacher = str(folder / 'teacher.pth')
    torch.save(dict(state_dict=algorithm.teacher.state_dict()), teacher)
    student = algorithm.architecture.eval()
    return dict(
        folder=folder,
        run=run,
        exported=exported,
        ddp=ddp,
        teacher=teacher,
        student=student)


def run_exporter(*args: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, 'argv', [TOOL, *args])
        runpy.run_path(TOOL, run_name='__main__')


def segment_with_onnxruntime(path: str, inputs: torch.Tensor) -> np.ndarray:
    session = onnxruntime.InferenceSession(
        path, providers=['CPUExecutionProvider'])
    return session.run(None, {'inputs': inputs.numpy()})[0]


@pytest.mark.parametrize('config, checkpoint', [(SKD, 'run'), (SKD, 'ddp'),
                                                (STUDENT, 'exported')])
def test_a_segmentation_student_exports_with_parity(distilled, config,
                                                    checkpoint, capsys):
    out = str(distilled['folder'] / f'{checkpoint}.onnx')
    run_exporter(config, distilled[checkpoint], '--out', out, '--shape', '64',
                 '64', '--batch', '2')
    printed = capsys.readouterr().out
    assert f'wrote {out}: EncoderDecoder, input 64x64, opset 17' in printed
    difference = float(printed.split('max |onnxruntime - PyTorch| = ')[1])
    assert difference <= 1e-4
    # Another batch size than the check's, against mmseg's own forward of
    # the trained student.
    inputs = example_inputs((64, 64), 3, seed=7)
    with torch.no_grad():
        expected = distilled['student'].encode_decode(
            inputs, [dict(img_shape=(64, 64))] * 3)
    logits = segment_with_onnxruntime(out, inputs)
    assert logits.shape == (3, 19, 64, 64)
    assert np.abs(logits - expected.numpy()).max() <= 1e-4


def test_a_difference_above_the_tolerance_fails(distilled):
    out = str(distilled['folder'] / 'strict.onnx')
    with pytest.raises(
            SystemExit,
            match=r'more than --atol -1; .*strict.onnx '
            'is kept for inspection'):
        run_exporter(SKD, distilled['run'], '--out', out, '--shape', '32',
                     '32', '--atol', '-1')


def test_a_checkpoint_of_another_model_is_refused(distilled):
    with pytest.raises(
            ValueError,
            match=f"Checkpoint '{distilled['teacher']}' does not fit the "
            f"student of '{SKD}'.*convert_to_student"):
        init_student(SKD, distilled['teacher'])


def tiny_detector(config: str, tmp_path) -> nn.Module:
    """A shrunk detection student of ``config``, exported and loaded."""
    cfg = Config.fromfile(config)
    options = tiny_det_model_options(cfg)
    cfg.merge_from_dict(options)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    student = MODELS.build(student_config(cfg))
    path = str(tmp_path / 'student.pth')
    torch.save(dict(state_dict=student.state_dict(), meta=dict()), path)
    return init_student(config, path, options)


def test_a_detection_student_exports_its_head_outputs(tmp_path):
    module = for_export(tiny_detector(RETINANET, tmp_path))
    out = str(tmp_path / 'retinanet.onnx')
    names = export_onnx(module, example_inputs((64, 96), 1), out)
    # Class scores then box deltas, for each of the five FPN levels.
    assert names == tuple(f'out{index}_level{level}' for index in (0, 1)
                          for level in range(5))
    differences = onnx_difference(out, module, example_inputs((64, 96), 2, 1))
    assert len(differences) == 10 and max(differences) <= 1e-4


def test_an_operator_onnx_lacks_is_named(tmp_path):
    module = for_export(tiny_detector(REPPOINTS, tmp_path))
    out = str(tmp_path / 'reppoints.onnx')
    with pytest.raises(
            UnsupportedOperatorError,
            match=r'RepPointsDetector\) uses '
            r'mmcv::MMCVDeformConv2d'):
        export_onnx(module, example_inputs((64, 96), 1), out)
    assert not osp.exists(out)


class Layer(nn.Module):
    """A student of one operation, with the wrappers' output names."""

    def __init__(self, operation):
        super().__init__()
        self.operation = operation

    def output_names(self, inputs):
        return ('out', )

    def forward(self, x):
        return self.operation(x)


@pytest.mark.parametrize('operation, named', [
    (torch.histc, 'aten::histc'),
    (lambda x: F.adaptive_avg_pool2d(x, 3),
     'adaptive_avg_pool2d (output size that are not factor of input size)'),
])
def test_an_aten_operator_without_an_onnx_form_is_named(
        operation, named, tmp_path):
    with pytest.raises(
            UnsupportedOperatorError,
            match=re.escape(f'ONNX opset 17 cannot express {named}, which '
                            'the student (Layer) uses')):
        export_onnx(
            Layer(operation), torch.randn(1, 3, 7, 7),
            str(tmp_path / 'layer.onnx'))
