# Copyright (c) mmskd contributors. All rights reserved.
"""Network slimming (thesis Table 6.6): the channels chosen by hand, a
pruned network that computes what the original did when its removed
channels were silent, the sparsity term by hand, and the tool's pruned
config evaluated."""
import copy
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch.nn.modules.batchnorm import _BatchNorm

from mmskd.demo import write_scenes
from mmskd.models.pruning import select_channels, slim_state_dict
from mmskd.testing import CONFIG_ROOT, build_runner, run_tool

SLIMMING = osp.join(CONFIG_ROOT, 'auxiliary',
                    'slimming_pspnet_r18-d8_w8_scenes-128x128.py')
WITH_MODULE = osp.join(CONFIG_ROOT, 'auxiliary',
                       'pspnet_r18-d8_w8_aux-conv1x1_scenes-128x128.py')


def build(cfg: Config) -> torch.nn.Module:
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(copy.deepcopy(cfg.model)))
    model.init_weights()
    return model


def test_one_threshold_over_every_block_each_keeping_one():
    scales = [torch.tensor([0.1, -0.5, 0.3]), torch.tensor([0.2, 0.05])]
    # 2 of 5 go: |0.05| and |0.1|.
    assert select_channels(scales, 0.4) == [[1, 2], [0]]
    # 4 of 5 would empty the second block: it keeps its largest.
    assert select_channels(scales, 0.8) == [[1], [0]]
    with pytest.raises(ValueError, match=r'share in \[0, 1\), got 1.0'):
        select_channels(scales, 1.0)


def silence_half(model: torch.nn.Module) -> None:
    """Random BN scales (non-zero), shifts and statistics, then the scale
    and shift of every other inner channel of each block (half of them all)
    at zero."""
    generator = torch.Generator().manual_seed(1)
    for name, module in model.backbone.named_modules():
        if isinstance(module, _BatchNorm):
            size = module.num_features
            module.weight.data = 0.5 + torch.rand(size, generator=generator)
            module.bias.data = torch.randn(size, generator=generator)
            module.running_mean = torch.randn(size, generator=generator)
            module.running_var = 0.5 + torch.rand(size, generator=generator)
            if name.startswith('layer') and name.endswith('.bn1'):
                module.weight.data[::2] = 0
                module.bias.data[::2] = 0


def test_a_pruned_network_computes_what_its_silent_channels_did():
    cfg = Config.fromfile(SLIMMING)
    model = build(cfg).eval()
    silence_half(model)
    slim = slim_state_dict(model.state_dict(), 0.5)
    # ResNet-18 at 1/8 width: two blocks of 8, 16, 32 and 64 channels.
    assert slim['inner_channels'] == [4, 4, 8, 8, 16, 16, 32, 32]
    cfg.model.backbone.update(
        type='PrunedResNetV1c', inner_channels=slim['inner_channels'])
    pruned = build(cfg).eval()
    pruned.load_state_dict(slim['state_dict'], strict=True)
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = model(inputs, mode='tensor')
        assert torch.allclose(pruned(inputs, mode='tensor'), expected,
                              atol=1e-5)
    assert sum(p.numel() for p in pruned.parameters()) < sum(
        p.numel() for p in model.parameters())


def test_the_sparsity_term_is_the_l1_of_the_block_scales():
    cfg = Config.fromfile(SLIMMING)
    model = build(cfg).train()
    silence_half(model)
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            gt_sem_seg=PixelData(data=torch.randint(0, 19, (1, 32, 32))))
        sample.set_metainfo(dict(img_shape=(32, 32), pad_shape=(32, 32)))
        samples.append(sample)
    losses = model.loss(torch.randn(2, 3, 32, 32), samples)
    by_hand = sum(
        value.abs().sum() for key, value in model.state_dict().items()
        if key.startswith('backbone.layer') and key.endswith('.bn1.weight'))
    assert losses['loss_bn_l1'].item() == pytest.approx(1e-4 * by_hand.item())


def test_the_tool_writes_a_config_that_evaluates(tmp_path, fast_runner):
    model = build(Config.fromfile(SLIMMING))
    silence_half(model)
    checkpoint = str(tmp_path / 'iter_1.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    out_dir = str(tmp_path / 'slim')
    result = run_tool([
        sys.executable, 'tools/model_converters/slim_resnet.py', WITH_MODULE,
        checkpoint, out_dir, '--ratio', '0.5'
    ])
    assert 'Kept 120 of 240 inner channels' in result.stdout
    slim_cfg = Config.fromfile(osp.join(out_dir, 'slim.py'))
    assert slim_cfg.model.backbone.type == 'PrunedResNetV1c'
    assert slim_cfg.model.auxiliary_head.type == 'AuxiliaryModuleHead'
    assert slim_cfg.load_from == osp.join(out_dir, 'slim.pth')
    # Evaluated as tools/test.py runs it (slim.pth has no auxiliary weights
    # before fine-tuning, so without them).
    root = write_scenes(str(tmp_path / 'scenes'), num_train=2, num_val=2)
    slim_cfg.merge_from_dict({
        'test_dataloader.dataset.data_root': root,
        'model.auxiliary_head': None,
        'load_from': osp.join(out_dir, 'slim.pth')
    })
    metrics = build_runner(slim_cfg, 'slim.py', str(tmp_path / 'test')).test()
    assert 0 <= metrics['mIoU'] <= 100
