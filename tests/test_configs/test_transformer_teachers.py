# Copyright (c) mmskd contributors. All rights reserved.
"""A SegFormer teacher and a PSPNet student (configs/transformer_teachers):
the connector's widths come from the recorded modules, and the student's
1/8 maps meet the teacher's 1/4 ones by the configs' rules."""
import copy
import os.path as osp

import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope

from mmskd.models.losses import PixelWiseDivergence
from mmskd.models.utils import unwrap
from mmskd.testing import REPO, tiny_cfg

CONFIG = osp.join(
    REPO, 'configs/transformer_teachers/'
    'skd_cwd_segformer_mit-b5_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


def test_a_transformer_teacher_meets_a_cnn_student(cityscapes_root):
    cfg = tiny_cfg(CONFIG, cityscapes_root)  # 64x128 images
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    algorithm.init_weights()
    algorithm.train()
    distiller = unwrap(algorithm.distiller)
    connector = distiller.connectors['student_feature']
    conv = connector.conv_module.conv
    assert (conv.in_channels, conv.out_channels) == (
        algorithm.student.decode_head.bottleneck.conv.out_channels,
        algorithm.teacher.decode_head.fusion_conv.conv.out_channels)
    inputs = {}
    distiller.distill_losses['loss_pi'].register_forward_hook(
        lambda module, args, kwargs, out: inputs.update(kwargs, out=out),
        with_kwargs=True)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    log_vars = algorithm.train_step(
        pseudo_collate([dataset[0], dataset[1]]),
        build_optim_wrapper(algorithm, cfg.optim_wrapper))
    # SegFormer's score map at 1/4, PSPNet's at 1/8: upsampled to it.
    assert inputs['preds_T'].shape[-2:] == (16, 32)
    assert inputs['preds_S'].shape[-2:] == (8, 16)
    upsampled = F.interpolate(
        inputs['preds_S'], size=(16, 32), mode='bilinear', align_corners=False)
    torch.testing.assert_close(
        inputs['out'],
        PixelWiseDivergence(tau=1.0, loss_weight=10.0)(upsampled,
                                                       inputs['preds_T']))
    for key in ('distill.loss_cwd', 'distill.loss_ho', 'disc.loss_gp'):
        assert torch.isfinite(log_vars[key]), key
