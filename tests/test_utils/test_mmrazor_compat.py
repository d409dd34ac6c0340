# Copyright (c) mmskd contributors. All rights reserved.
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS, init_default_scope

from mmskd.utils import mmrazor_compat

BROKEN_TORCH = mmrazor_compat.needs_quantization_stub()


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True)


def test_version_rule():
    assert not mmrazor_compat.needs_quantization_stub('2.0.1')
    assert mmrazor_compat.needs_quantization_stub('2.1.0')
    assert mmrazor_compat.needs_quantization_stub('2.13.0+cpu')


@pytest.mark.skipif(not BROKEN_TORCH, reason='mmrazor imports on torch<2.1')
def test_plain_mmrazor_import_is_broken_on_this_torch():
    # The upstream bug the workaround exists for; when this starts passing
    # on a new mmrazor release, the workaround can go.
    result = _python('import mmrazor.models')
    assert result.returncode != 0
    assert 'quantization' in result.stderr


def test_mmrazor_models_import_after_mmskd():
    result = _python('import mmskd, mmrazor.models, mmrazor.engine; '
                     'from mmrazor.models import SingleTeacherDistill; '
                     'print("ok")')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'


@pytest.mark.skipif(not BROKEN_TORCH, reason='no stand-in on torch<2.1')
def test_stand_in_explains_itself():
    from mmrazor.structures.quantization import QConfigHandler
    with pytest.raises(ImportError, match='torch'):
        QConfigHandler()
    assert mmrazor_compat.patch_mmrazor_quantization_import()


def _tiny_segmentor(channels: int) -> dict:
    return dict(
        _scope_='mmseg',
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor'),
        backbone=dict(type='mmseg.ResNetV1c', depth=18, stem_channels=8,
                      base_channels=channels, out_indices=(3, ),
                      strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4)),
        decode_head=dict(type='mmseg.FCNHead', in_channels=channels * 8,
                         channels=channels, num_convs=1, num_classes=5,
                         in_index=0))


def test_mmrazor_single_teacher_distill_with_cwd():
    """mmrazor's own algorithm and loss build and compute on this stack."""
    from mmengine.structures import PixelData
    from mmrazor.models import ChannelWiseDivergence
    from mmseg.structures import SegDataSample
    init_default_scope('mmrazor')
    recorder = dict(type='ModuleOutputs', source='decode_head.conv_seg')
    algorithm = MODELS.build(
        dict(
            type='mmrazor.SingleTeacherDistill',
            architecture=_tiny_segmentor(8),
            teacher=_tiny_segmentor(16),
            distiller=dict(
                type='mmrazor.ConfigurableDistiller',
                student_recorders=dict(logits=recorder),
                teacher_recorders=dict(logits=recorder),
                distill_losses=dict(
                    loss_cwd=dict(
                        type='mmrazor.ChannelWiseDivergence', tau=2,
                        loss_weight=3)),
                loss_forward_mappings=dict(
                    loss_cwd=dict(
                        preds_S=dict(from_student=True, recorder='logits'),
                        preds_T=dict(from_student=False,
                                     recorder='logits'))))))
    torch.manual_seed(0)
    images = torch.randn(2, 3, 32, 32)
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 5, (1, 32, 32)))
        sample.set_metainfo(dict(img_shape=(32, 32), pad_shape=(32, 32)))
        samples.append(sample)
    losses = algorithm(images, samples, mode='loss')
    student_logits = algorithm.distiller.student_recorders.get_recorder(
        'logits').get_record_data()
    teacher_logits = algorithm.distiller.teacher_recorders.get_recorder(
        'logits').get_record_data()
    n, c, h, w = student_logits.shape
    log_p_t = F.log_softmax(teacher_logits.reshape(n * c, -1) / 2, dim=1)
    log_p_s = F.log_softmax(student_logits.reshape(n * c, -1) / 2, dim=1)
    expected = 3 * 4 * (log_p_t.exp() * (log_p_t - log_p_s)).sum() / (n * c)
    assert torch.allclose(losses['distill.loss_cwd'], expected, rtol=1e-5)
    assert expected > 0
    assert isinstance(algorithm.distiller.distill_losses['loss_cwd'],
                      ChannelWiseDivergence)
