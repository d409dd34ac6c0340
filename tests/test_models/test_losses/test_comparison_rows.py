# Copyright (c) mmskd contributors. All rights reserved.
"""The comparison terms wired into a distiller as the papers' rows use them.

Each row keeps SKD's pixel-wise term on the score maps and replaces the
pair-wise term on the fused head feature (``decode_head.bottleneck``) with
the comparison term: Table 3.7's "+PI+MIMIC", "+PI+AT", "+PI+LOCAL" and
Table 4.2's IFVD. One training forward of tiny PSPNets shows that every
recorder, connector and forward mapping fits the loss it feeds.
"""
import os.path as osp

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, MODELS, init_default_scope

from mmskd.models.losses import IntraClassVariationLoss
from mmskd.testing import REPO, tiny_cfg

SKD_PI_PA = osp.join(
    REPO, 'configs/skd/'
    'skd_pi_pa_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


def feature_pair(student_key, teacher_key, **student_extra):
    """Forward mapping of the recorded fused head features."""
    return {
        student_key:
        dict(from_student=True, recorder='feature', **student_extra),
        teacher_key: dict(from_student=False, recorder='feature'),
    }


# The connector's widths are read off the tiny models (StructuredDistill
# fills them in).
ROWS = {
    'mimic':
    dict(
        connectors=dict(
            student_feature=dict(
                type='mmrazor.ConvModuleConnector',
                kernel_size=1,
                norm_cfg=None,
                act_cfg=None)),
        loss=dict(
            type='mmrazor.L2Loss',
            normalize=False,
            div_element=True,
            loss_weight=10.0),
        mapping=feature_pair(
            's_feature', 't_feature', connector='student_feature')),
    'at':
    dict(
        loss=dict(type='mmrazor.ATLoss', loss_weight=1000.0),
        mapping=feature_pair('s_feature', 't_feature')),
    'local':
    dict(
        loss=dict(type='LocalSimilarityLoss', loss_weight=10.0),
        mapping=feature_pair('preds_S', 'preds_T')),
    'ifvd':
    dict(
        recorders=dict(
            gt_label=dict(
                type='MethodOutputs',
                source='mmseg.models.decode_heads.decode_head.'
                'BaseDecodeHead._stack_batch_gt')),
        loss=dict(type='IntraClassVariationLoss', loss_weight=10.0),
        mapping=dict(
            feature_pair('preds_S', 'preds_T'),
            seg_label=dict(from_student=True, recorder='gt_label'))),
}


def forward_row(row, data_root):
    """Build tiny PSPNets distilled with PI + the row's term; one forward.

    Returns:
        tuple: The algorithm, its preprocessed batch and the loss dict.
    """
    spec = ROWS[row]
    cfg = tiny_cfg(SKD_PI_PA, data_root)
    distiller = cfg.model.distiller
    distiller.student_recorders.update(spec.get('recorders', {}))
    distiller.connectors = spec.get('connectors')
    distiller.distill_losses = dict(
        loss_pi=distiller.distill_losses.loss_pi,
        **{f'loss_{row}': spec['loss']})
    distiller.loss_forward_mappings = dict(
        loss_pi=distiller.loss_forward_mappings.loss_pi,
        **{f'loss_{row}': spec['mapping']})
    init_default_scope(cfg.default_scope)
    algorithm = MODELS.build(cfg.model)
    algorithm.train()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    data = algorithm.data_preprocessor(
        pseudo_collate([dataset[0], dataset[1]]), training=True)
    losses = algorithm(data['inputs'], data['data_samples'], mode='loss')
    return algorithm, data, losses


@pytest.mark.parametrize('row', sorted(ROWS))
def test_row_trains_the_student_through_both_terms(row, cityscapes_root):
    algorithm, _, losses = forward_row(row, cityscapes_root)

    term = losses[f'distill.loss_{row}']
    assert term.dim() == 0 and torch.isfinite(term) and term.item() > 0
    assert torch.isfinite(losses['distill.loss_pi'])
    term.backward()
    # The term reaches the student's head feature (and the connector).
    grad = algorithm.student.decode_head.bottleneck.conv.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    for connector in algorithm.distiller.connectors.values():
        assert all(p.grad is not None for p in connector.parameters())
    assert all(p.grad is None for p in algorithm.teacher.parameters())


def test_ifvd_label_recorder_delivers_the_batch_labels(cityscapes_root):
    """The recorder of mmseg's label stacking gives the loss the labels."""
    algorithm, data, losses = forward_row('ifvd', cityscapes_root)
    recorders = algorithm.distiller
    feature_S = recorders.student_recorders.get_recorder(
        'feature').get_record_data()
    feature_T = recorders.teacher_recorders.get_recorder(
        'feature').get_record_data()
    labels = torch.stack(
        [sample.gt_sem_seg.data for sample in data['data_samples']])
    expected = IntraClassVariationLoss(loss_weight=10.0)(feature_S, feature_T,
                                                         labels)
    assert (labels != 255).any()
    assert torch.allclose(losses['distill.loss_ifvd'], expected)
