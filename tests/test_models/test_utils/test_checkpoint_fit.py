# Copyright (c) mmskd contributors. All rights reserved.
"""Strict teacher checkpoints, the fit check of the tools and the offline
messages of model-zoo downloads (issue 23)."""
import copy
from collections import OrderedDict
from unittest import mock

import pytest
import torch
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint
from torch import Tensor, nn

from mmskd.models.utils.checkpoint import (load_teacher_checkpoint,
                                           teacher_weights_from_checkpoint)
from mmskd.models.utils.checkpoint_fit import (check_checkpoint_fits,
                                               compare_state_dicts,
                                               without_parts)
from mmskd.models.utils.remote_checkpoints import (RemoteCheckpointError,
                                                   config_keys_naming,
                                                   download_url,
                                                   naming_config_keys)
from mmskd.testing import CWD_LOGITS, tiny_cfg, write_teacher_checkpoint

# Nothing listens on port 9 (discard): the fetch fails at once, as offline.
UNREACHABLE = 'http://127.0.0.1:9/weights_20200101-abc.pth'
CACHE_FILE = 'hub/checkpoints/weights_20200101-abc.pth'


class Segmentor(nn.Module):
    """A backbone and a classifier of ``classes`` classes."""

    def __init__(self, classes: int = 19) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
        self.decode_head = nn.Conv2d(8, classes, 1)


class Recorded(nn.Module):
    """A module whose extra state is a record of varying length."""

    def __init__(self, record: str) -> None:
        super().__init__()
        self.proj = nn.Linear(2, 2)
        self.record = record

    def get_extra_state(self) -> Tensor:
        return torch.tensor(list(self.record.encode()), dtype=torch.uint8)

    def set_extra_state(self, state: Tensor) -> None:
        self.record = bytes(state.tolist()).decode()


def save(state_dict: dict, path) -> str:
    torch.save(dict(state_dict=state_dict, meta=dict()), str(path))
    return str(path)


def prefixed(prefix: str, state_dict: dict) -> OrderedDict:
    return OrderedDict(
        (prefix + key, value) for key, value in state_dict.items())


def assert_loaded(model: nn.Module, state_dict: dict) -> None:
    for key, value in model.state_dict().items():
        assert torch.equal(value, state_dict[key]), key


@pytest.fixture
def trained() -> dict:
    torch.manual_seed(0)
    return Segmentor().state_dict()


def test_exact_teacher_checkpoint_is_loaded(trained, tmp_path):
    torch.manual_seed(1)
    teacher = Segmentor()
    load_teacher_checkpoint(teacher, save(trained, tmp_path / 't.pth'))
    assert_loaded(teacher, trained)


def test_another_class_count_is_refused_with_shapes(tmp_path):
    path = save(Segmentor(classes=11).state_dict(), tmp_path / 'camvid.pth')
    with pytest.raises(ValueError) as error:
        load_teacher_checkpoint(Segmentor(classes=19), path)
    message = str(error.value)
    assert message.startswith(f'Teacher checkpoint {path!r} does not fit '
                              'the teacher model (Segmentor): 2 have another '
                              'shape (decode_head.weight (checkpoint '
                              '11x8x1x1, model 19x8x1x1), decode_head.bias '
                              '(checkpoint 11, model 19)).')
    assert 'model-zoo checkpoint of the same config as `teacher`' in message
    assert 'tools/model_converters/convert_to_student.py' in message


def test_another_model_is_refused_with_counts_and_examples(trained, tmp_path):
    other = OrderedDict((key.replace('backbone.', 'encoder.'), value)
                        for key, value in trained.items())
    other['aux_head.weight'] = torch.zeros(2)
    with pytest.raises(ValueError) as error:
        load_teacher_checkpoint(Segmentor(), save(other, tmp_path / 'o.pth'))
    message = str(error.value)
    # 6 backbone tensors (conv weight/bias, BN weight/bias/mean/var); the
    # BatchNorm counter is no weight.
    assert "6 of the model's 8 tensors are missing from it (" \
        'backbone.0.weight, backbone.0.bias, backbone.1.weight, ...)' \
        in message
    assert 'backbone.1.num_batches_tracked' not in message


def test_one_extra_tensor_is_refused(trained, tmp_path):
    extra = OrderedDict(trained, **{'decode_head.scale': torch.zeros(1)})
    with pytest.raises(
            ValueError,
            match=r'1 of its tensors is not in the model '
            r'\(decode_head.scale\)\.'):
        load_teacher_checkpoint(Segmentor(), save(extra, tmp_path / 'x.pth'))


def test_a_part_the_teacher_was_built_without_is_left_out(trained, tmp_path):
    """E.g. a teacher config with ``auxiliary_head=None`` and the model-zoo
    checkpoint that holds that head."""
    extra = OrderedDict(trained,
                        **{'auxiliary_head.conv.weight': torch.zeros(2)})
    torch.manual_seed(1)
    teacher = Segmentor()
    with mock.patch('mmskd.models.utils.checkpoint.print_log') as print_log:
        load_teacher_checkpoint(teacher, save(extra, tmp_path / 'a.pth'))
    assert_loaded(teacher, trained)
    assert 'the teacher model has no module for (auxiliary_head)' in \
        print_log.call_args.args[0]


def test_leaving_a_part_out_keeps_the_others_versions():
    """torch upgrades old layouts by the versions in ``_metadata``: the
    parts kept keep theirs."""
    state_dict = Segmentor().state_dict()
    state_dict['auxiliary_head.weight'] = torch.zeros(2)
    state_dict._metadata['auxiliary_head'] = {'version': 1}
    kept = without_parts(state_dict, ['auxiliary_head'])
    assert list(kept) == list(Segmentor().state_dict())
    assert set(kept._metadata) == {
        '', 'backbone', 'backbone.0', 'backbone.1', 'decode_head'
    }
    assert kept._metadata['backbone.1'] == {'version': 2}


def test_a_missing_batchnorm_counter_is_no_misfit(trained, tmp_path):
    # As in checkpoints converted from other frameworks.
    without = OrderedDict((key, value) for key, value in trained.items()
                          if not key.endswith('num_batches_tracked'))
    torch.manual_seed(1)
    teacher = Segmentor()
    load_teacher_checkpoint(teacher, save(without, tmp_path / 'c.pth'))
    assert_loaded(
        teacher,
        dict(trained, **{'backbone.1.num_batches_tracked': torch.tensor(0)}))


def test_extra_state_is_no_weight():
    # A record's size is no shape: a longer one is no misfit.
    mismatch = compare_state_dicts(
        Recorded('a').state_dict(),
        Recorded('a longer record').state_dict())
    assert not mismatch
    assert compare_state_dicts(Recorded('a').state_dict(), {}).missing == \
        ['proj.weight', 'proj.bias']


def test_teacher_of_a_distillation_checkpoint_is_taken(trained, tmp_path):
    torch.manual_seed(2)
    student = Segmentor(classes=19).state_dict()
    # An older multi-process run: each part under its DDP wrapper's name.
    whole = OrderedDict(**prefixed('architecture.module.', student),
                        **prefixed('teacher.', trained),
                        **{'distiller.connectors.c.weight': torch.zeros(3)})
    torch.manual_seed(1)
    teacher = Segmentor()
    load_teacher_checkpoint(teacher, save(whole, tmp_path / 'iter_8.pth'))
    assert_loaded(teacher, trained)


def test_the_network_of_a_temporal_training_checkpoint_is_taken(
        trained, tmp_path):
    """TemporalTraining (the video teacher's training) holds its one
    network under ``architecture.``: that network is the teacher."""
    torch.manual_seed(1)
    teacher = Segmentor()
    load_teacher_checkpoint(
        teacher,
        save(prefixed('architecture.', trained), tmp_path / 'iter_400.pth'))
    assert_loaded(teacher, trained)


def test_whole_model_wrapper_prefix_is_read_as_mmengine_does(
        trained, tmp_path):
    torch.manual_seed(1)
    teacher = Segmentor()
    path = save(prefixed('module.', trained), tmp_path / 'ddp.pth')
    load_teacher_checkpoint(teacher, path)
    assert_loaded(teacher, trained)


def test_the_fit_check_sees_through_a_model_wrapper(trained):
    from mmengine.model import MMDistributedDataParallel
    wrapped = mock.Mock(spec=MMDistributedDataParallel, module=Segmentor(11))
    with pytest.raises(ValueError, match='2 have another shape'):
        check_checkpoint_fits(wrapped, trained, 'It does not fit', 'Fix.')


def test_unreachable_url_names_the_cache_and_the_config_key():
    cfg = dict(
        model=dict(
            backbone=dict(
                init_cfg=dict(type='Pretrained', checkpoint=UNREACHABLE))))
    with pytest.raises(RemoteCheckpointError) as error:
        with naming_config_keys(cfg):
            _load_checkpoint(UNREACHABLE)
    message = str(error.value)
    assert message.startswith(f'Could not fetch the checkpoint {UNREACHABLE}')
    assert CACHE_FILE in message
    assert ('set `model.backbone.init_cfg.checkpoint` to a local file, e.g. '
            '`--cfg-options model.backbone.init_cfg.checkpoint=/path/to/'
            'weights_20200101-abc.pth`, or to None') in message
    assert isinstance(error.value.__cause__, OSError)


def test_unreachable_url_outside_a_config_lists_the_usual_keys():
    with pytest.raises(RemoteCheckpointError) as error:
        _load_checkpoint(UNREACHABLE)
    message = str(error.value)
    for key in ('`model.pretrained`', '`model.teacher_ckpt`', '`load_from`'):
        assert key in message


def test_model_zoo_names_resolve_to_their_download():
    url = download_url('open-mmlab://resnet101_v1c')
    assert url.startswith('https://download.openmmlab.com/')
    assert url.endswith('/resnet101_v1c-e67eebb6.pth')
    assert download_url('open-mmlab://no_such_model') is None


def test_keys_in_a_referenced_model_config_are_named():
    cfg = dict(
        model=dict(
            architecture=dict(cfg_path='mmseg::pspnet/'
                              'pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'),
            teacher_ckpt=UNREACHABLE),
        load_from=UNREACHABLE)
    assert config_keys_naming(cfg, 'open-mmlab://resnet18_v1c') == \
        ['model.architecture.pretrained']
    assert config_keys_naming(cfg, UNREACHABLE) == \
        ['model.teacher_ckpt', 'load_from']


@pytest.fixture
def distill_cfg(cityscapes_root):
    cfg = tiny_cfg(CWD_LOGITS, cityscapes_root)
    init_default_scope(cfg.default_scope)
    return cfg


def untrained_warnings(model_cfg) -> list:
    with mock.patch('mmskd.models.algorithms.teacher_checks.print_log'
                    ) as print_log:
        algorithm = MODELS.build(copy.deepcopy(model_cfg))
    return algorithm, [
        call.args[0] for call in print_log.call_args_list
        if 'untrained' in call.args[0]
    ]


def test_unreachable_teacher_names_teacher_ckpt_only(distill_cfg):
    distill_cfg.model.teacher_ckpt = UNREACHABLE
    with pytest.raises(RemoteCheckpointError) as error:
        MODELS.build(copy.deepcopy(distill_cfg.model))
    message = str(error.value)
    assert CACHE_FILE in message
    assert 'set `model.teacher_ckpt` to a local file' in message
    assert 'to None' not in message  # an untrained teacher teaches noise


def test_a_teacher_restored_later_is_neither_fetched_nor_warned_about(
        distill_cfg):
    distill_cfg.model.teacher_ckpt = UNREACHABLE
    with teacher_weights_from_checkpoint():
        algorithm, warnings = untrained_warnings(distill_cfg.model)
    assert algorithm.teacher_ckpt == UNREACHABLE
    assert warnings == []
    # Outside the context a config without teacher_ckpt warns again.
    distill_cfg.model.teacher_ckpt = None
    _, warnings = untrained_warnings(distill_cfg.model)
    assert len(warnings) == 1


def test_a_teacher_checkpoint_of_another_class_count_is_refused(
        distill_cfg, tmp_path):
    other = copy.deepcopy(distill_cfg)
    other.model.teacher.decode_head.num_classes = 11
    other.model.teacher.auxiliary_head.num_classes = 11
    path = write_teacher_checkpoint(other, str(tmp_path / 'camvid.pth'))
    distill_cfg.model.teacher_ckpt = path
    with pytest.raises(ValueError) as error:
        MODELS.build(copy.deepcopy(distill_cfg.model))
    message = str(error.value)
    assert 'does not fit the teacher model (EncoderDecoder): 4 have another ' \
        'shape (decode_head.conv_seg.weight (checkpoint 11x' in message
