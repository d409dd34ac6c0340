# Copyright (c) mmskd contributors. All rights reserved.
"""Several teachers (TeacherEnsemble): each frozen and loaded from its own
checkpoint, recorded through its name, averaged at the larger map's size;
both configs of configs/multi_teacher train an iteration."""
import copy
import glob
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope

from mmskd.models.utils import unwrap
from mmskd.testing import REPO, tiny_cfg

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs/multi_teacher/*.py')))
AVERAGED, EACH = (
    osp.join(
        REPO, 'configs/multi_teacher/'
        f'pi_pa_{kind}_pspnet_r101-d8_deeplabv3plus_r101-d8_pspnet_r18-d8_'
        '4xb2-80k_cityscapes-512x1024.py') for kind in ('avg', 'each'))
HOLISTIC = AVERAGED.replace('pi_pa_avg_', 'skd_avg_')


def build(cfg):
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    algorithm.init_weights()
    return algorithm.train()  # as the runner sets it


def batch(cfg):
    init_default_scope(cfg.default_scope)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return pseudo_collate([dataset[0], dataset[1]])


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_the_configs_are_the_two_forms_and_the_holistic_one():
    assert CONFIGS == sorted([AVERAGED, EACH, HOLISTIC])


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_each_config_trains_with_its_teachers_frozen(config, cityscapes_root):
    cfg = tiny_cfg(config, cityscapes_root)
    algorithm = build(cfg)
    teachers = algorithm.teacher
    before = snapshot(teachers)
    log_vars = algorithm.train_step(
        batch(cfg), build_optim_wrapper(algorithm, cfg.optim_wrapper))
    terms = [key for key in log_vars if key.startswith('distill.')]
    expected = {AVERAGED: 2, EACH: 4, HOLISTIC: 3}[config]
    assert len(terms) == expected and all(
        torch.isfinite(log_vars[key]) for key in terms)
    # PI and PA are positive; the holistic term is the critic's score of the
    # student, of either sign, and the critic took its step on the average.
    assert all(log_vars[key] > 0 for key in terms if key != 'distill.loss_ho')
    if config == HOLISTIC:
        assert 'distill.loss_ho' in terms
        assert any(key.startswith('disc.') for key in log_vars), log_vars
    assert all(not teacher.training for teacher in teachers.members().values())
    after = teachers.state_dict()
    assert all(torch.equal(value, after[key]) for key, value in before.items())


def test_averaged_maps_are_the_mean_at_the_larger_size(cityscapes_root):
    cfg = tiny_cfg(AVERAGED, cityscapes_root)
    algorithm = build(cfg)
    outputs = {}

    def keep(key):
        return lambda module, args, out: outputs.update({key: out})

    for name, teacher in algorithm.teacher.members().items():
        for path in ('decode_head.conv_seg',
                     cfg.model.teacher.average.feature[name]):
            teacher.get_submodule(path).register_forward_hook(
                keep((name, path)))
    algorithm.train_step(
        batch(cfg), build_optim_wrapper(algorithm, cfg.optim_wrapper))
    distiller = unwrap(algorithm.distiller)
    # The averaged modules state their maps' width, for connectors.
    widths = {
        name: module.out_channels
        for name, module in algorithm.teacher.averaged.items()
    }
    pspnet = algorithm.teacher.pspnet
    assert widths == dict(
        logits=algorithm.student.decode_head.conv_seg.out_channels,
        feature=pspnet.decode_head.bottleneck.conv.out_channels)
    for recorder, paths in (('logits', ('decode_head.conv_seg', ) * 2),
                            ('feature', ('decode_head.bottleneck',
                                         'decode_head.sep_bottleneck'))):
        pspnet = outputs[('pspnet', paths[0])]
        deeplab = outputs[('deeplabv3plus', paths[1])]
        # DeepLabV3+ at 1/4 of the 64x128 image, PSPNet at 1/8.
        assert deeplab.shape[-2:] == (16, 32)
        assert pspnet.shape[-2:] == (8, 16)
        upsampled = F.interpolate(
            pspnet, size=(16, 32), mode='bilinear', align_corners=False)
        torch.testing.assert_close(
            distiller.get_record(recorder, False), (upsampled + deeplab) / 2)


def test_each_teacher_loads_its_own_checkpoint(cityscapes_root, tmp_path):
    cfg = tiny_cfg(EACH, cityscapes_root)
    ckpts = {}
    for index, (name,
                member) in enumerate(build(cfg).teacher.members().items()):
        torch.manual_seed(index + 1)
        for param in member.parameters():
            param.data.normal_()
        ckpts[name] = str(tmp_path / f'{name}.pth')
        torch.save(dict(state_dict=member.state_dict()), ckpts[name])
        cfg.model.teacher.teachers[name].ckpt = ckpts[name]
    loaded = build(cfg).teacher.members()
    for name, path in ckpts.items():
        saved = torch.load(path)['state_dict']
        assert all(
            torch.equal(value, saved[key])
            for key, value in loaded[name].state_dict().items())
    # A checkpoint that fits no teacher of its name is refused.
    cfg.model.teacher.teachers.pspnet.ckpt = ckpts['deeplabv3plus']
    with pytest.raises(ValueError) as error:
        build(cfg)
    assert 'does not fit the teacher' in str(error.value)
    assert '--cfg-options model.teacher.teachers.pspnet.ckpt=' in str(
        error.value)


@pytest.mark.parametrize('change, match', [
    (dict(teacher_ckpt='t.pth'), 'set model.teacher.teachers.NAME.ckpt'),
    (dict(teacher=dict(average=dict(logits='decode_head.conv_sg'))),
     "Did you mean 'decode_head.conv_seg'"),
    (dict(
        distiller=dict(
            teacher_recorders=dict(
                pspnet_logits=dict(source='pspnt.decode_head.conv_seg')))),
     "Did you mean 'pspnet.decode_head.conv_seg'"),
    (dict(
        teacher=dict(
            average=dict(
                mixed=dict(
                    pspnet='decode_head.bottleneck',
                    deeplabv3plus='decode_head.conv_seg')))),
     "average\\['mixed'\\] averages maps of different widths"),
])
def test_bad_settings_are_named(change, match, cityscapes_root):
    cfg = tiny_cfg(EACH, cityscapes_root)
    cfg.merge_from_dict(dict(model=change))
    with pytest.raises(ValueError, match=match):
        build(cfg)


@pytest.mark.parametrize('name', ['averaged', 'sources', 'members'])
def test_a_teacher_name_must_be_free(name):
    from mmskd.models import TeacherEnsemble
    with pytest.raises(ValueError, match=f"'{name}' cannot name a teacher"):
        TeacherEnsemble({name: dict(type='mmseg.EncoderDecoder')})


def test_an_average_needs_one_map_of_every_teacher(cityscapes_root):
    """Head modules do not run with teacher_forward='extract_feat'."""
    cfg = tiny_cfg(AVERAGED, cityscapes_root)
    cfg.model.teacher_forward = 'extract_feat'
    algorithm = build(cfg)
    with pytest.raises(ValueError) as error:
        algorithm.train_step(
            batch(cfg), build_optim_wrapper(algorithm, cfg.optim_wrapper))
    assert "average['logits'] needs one tensor from " \
        'pspnet.decode_head.conv_seg a forward, but it gave 0' in str(
            error.value)


@pytest.mark.parametrize('algorithm', [
    'KnowledgeAdaptationDistill', 'KnowledgeTranslatorPretrain', 'VideoDistill'
])
def test_one_teacher_algorithms_refuse_an_ensemble(algorithm):
    import mmskd.models as models
    from mmskd.models.algorithms.teacher_checks import \
        refuse_one_checkpoint_for_several
    cls = getattr(models, algorithm)
    assert cls.supports_teacher_ensemble is False
    with pytest.raises(ValueError, match='give it one teacher'):
        refuse_one_checkpoint_for_several(None, cls.supports_teacher_ensemble,
                                          algorithm)


def test_tools_that_draw_or_count_need_no_teacher_weights(
        cityscapes_root, tmp_path):
    """get_flops counts every teacher without reading a checkpoint and
    without auxiliary heads; the pair drawing refuses an ensemble."""
    from mmskd.analysis.complexity import inference_network
    from mmskd.apis import init_model, run_pair
    cfg = tiny_cfg(EACH, cityscapes_root)
    for teacher in cfg.model.teacher.teachers.values():
        teacher.ckpt = str(tmp_path / 'missing.pth')
    init_default_scope(cfg.default_scope)
    teachers = inference_network(cfg.model.teacher)
    assert all(member.auxiliary_head is None
               for member in teachers.members().values())
    model = init_model(cfg)  # no checkpoint: the teachers' are not read
    with pytest.raises(NotImplementedError, match='several'):
        run_pair(model, None, 'image.png')


def test_ensemble_members_of_a_config():
    from mmskd.models.teachers import ensemble_members
    members = dict(a=dict(ckpt='a.pth'), b=dict(ckpt=None))
    assert ensemble_members(dict(type='TeacherEnsemble',
                                 teachers=members)) == members
    assert ensemble_members(dict(type='EncoderDecoder')) == {}
    assert ensemble_members('configs/some_teacher.py') == {}
