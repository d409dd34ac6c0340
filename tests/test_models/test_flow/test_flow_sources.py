# Copyright (c) mmskd contributors. All rights reserved.
import importlib.abc
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn

from mmskd.models.flow import (BaseFlowSource, ConstantFlow, PrecomputedFlow,
                               flow_warp, write_flo)
from mmskd.registry import TASK_UTILS


def frames(num=2, height=6, width=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(num, 3, height, width, generator=generator)


def test_constant_flow_is_the_true_flow_of_a_shift():
    source = TASK_UTILS.build(
        dict(_scope_='mmskd', type='ConstantFlow', dx=2, dy=-1))
    img_t = frames()
    # Content moves right by 2 and up by 1 from frame t to frame t+k.
    img_tk = torch.roll(img_t, shifts=(-1, 2), dims=(-2, -1))
    flow = source(img_t, img_tk)
    assert flow.shape == (2, 2, 6, 8) and flow.dtype == torch.float32
    assert torch.all(flow[:, 0] == 2) and torch.all(flow[:, 1] == -1)
    assert not flow.requires_grad
    # It is the flow that warps frame t+k back onto frame t.
    assert torch.allclose(
        flow_warp(img_tk, flow)[..., 1:, :-2], img_t[..., 1:, :-2])


def test_precomputed_flow_reads_flo_and_npy(tmp_path):
    rng = np.random.default_rng(0)
    flows = rng.normal(size=(2, 6, 8, 2)).astype(np.float32)
    write_flo(str(tmp_path / 'a.flo'), flows[0])
    np.save(str(tmp_path / 'b.npy'), flows[1])
    source = TASK_UTILS.build(
        dict(_scope_='mmskd', type='PrecomputedFlow', root=str(tmp_path)))
    assert source.flow_from_data
    flow = source(frames(), frames(seed=1), ['a.flo', str(tmp_path / 'b.npy')])
    assert flow.shape == (2, 2, 6, 8) and flow.dtype == torch.float32
    # (H, W, 2) on disk -> (N, 2, H, W): channel 0 is dx, channel 1 is dy.
    assert torch.equal(flow[0, 0], torch.from_numpy(flows[0, ..., 0]))
    assert torch.equal(flow[1, 1], torch.from_numpy(flows[1, ..., 1]))


def test_precomputed_flow_of_another_size_names_the_file(tmp_path):
    write_flo(str(tmp_path / 'small.flo'), np.zeros((3, 4, 2), np.float32))
    source = PrecomputedFlow(root=str(tmp_path))
    with pytest.raises(ValueError, match=r'small.flo holds a 3x4 flow.*6x8'):
        source(frames(1), frames(1), ['small.flo'])


@pytest.mark.parametrize('paths', [None, [], ['a.flo', 'b.flo']])
def test_precomputed_flow_needs_one_file_per_pair(paths):
    with pytest.raises(ValueError, match='needs 1 flow_paths'):
        PrecomputedFlow()(frames(1), frames(1), paths)


def test_frames_of_different_shapes_raise():
    with pytest.raises(ValueError, match='same shape'):
        ConstantFlow()(frames(1), frames(2))


class WrongShapeFlow(BaseFlowSource):

    def compute(self, img_t, img_tk, flow_paths):
        return img_t.new_zeros(img_t.shape[0], 2, 3, 3)


def test_a_source_returning_a_wrong_flow_raises():
    with pytest.raises(ValueError, match='WrongShapeFlow'):
        WrongShapeFlow()(frames(1), frames(1))


class NetworkFlow(BaseFlowSource):
    """A source holding a network, as RAFTFlow does."""

    def __init__(self):
        self.net = nn.Conv2d(6, 2, 3, padding=1)

    def compute(self, img_t, img_tk, flow_paths):
        return self.net(torch.cat([img_t, img_tk], dim=1))


def test_flow_network_never_ships_with_the_model():
    model = nn.Module()
    model.student = nn.Conv2d(3, 4, 1)
    model.flow_source = NetworkFlow()
    assert set(model.state_dict()) == {'student.weight', 'student.bias'}
    assert len(list(model.parameters())) == 2
    # The network runs without gradient even inside a training step.
    flow = model.flow_source(frames(1), frames(1))
    assert not flow.requires_grad


class FailingImport(importlib.abc.MetaPathFinder):
    """torchvision beside a CPU-only torch fails at import like this."""

    def find_spec(self, name, path=None, target=None):
        if name == 'torchvision' or name.startswith('torchvision.'):
            raise RuntimeError('operator torchvision::nms does not exist')
        return None


@pytest.mark.parametrize('broken', ['missing', 'runtime_error'])
def test_raft_without_torchvision_names_the_alternatives(monkeypatch, broken):
    for name in list(sys.modules):
        if name == 'torchvision' or name.startswith('torchvision.'):
            monkeypatch.delitem(sys.modules, name)
    if broken == 'missing':
        monkeypatch.setitem(sys.modules, 'torchvision', None)
        cause = 'ModuleNotFoundError'
    else:
        monkeypatch.setattr(sys, 'meta_path',
                            [FailingImport()] + sys.meta_path)
        cause = 'RuntimeError: operator torchvision::nms does not exist'
    with pytest.raises(ImportError) as error:
        TASK_UTILS.build(dict(_scope_='mmskd', type='RAFTFlow'))
    message = str(error.value)
    assert 'RAFTFlow needs torchvision' in message and cause in message
    assert 'PrecomputedFlow' in message and 'ConstantFlow' in message


class FakeRAFT(nn.Module):
    """Stands in for torchvision's RAFT: records its inputs and returns a
    flow made of them (dx = first frame's red channel, dy = second's)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(6, 2, 1)  # parameters, to check the freeze
        self.calls = []

    def forward(self, first, second, num_flow_updates):
        self.calls.append((first, second, num_flow_updates, self.training,
                           torch.is_autocast_enabled('cpu')))
        flow = torch.cat([first[:, :1], second[:, :1]], dim=1)
        return [torch.zeros_like(flow), flow]  # RAFT: one flow per update


def test_raft_flow_feeds_and_crops_torchvision_s_raft(monkeypatch):
    """What mmskd's code does around RAFT, with torchvision's RAFT replaced:
    frames un-normalised to [-1, 1], padded to multiples of 8, fp32 under
    autocast, the last update's flow cropped back; the network frozen."""
    fake = FakeRAFT()
    built = {}

    def raft_small(weights, progress):
        built.update(weights=weights, progress=progress)
        return fake

    module = type(sys)('torchvision.models.optical_flow')
    module.raft_small = raft_small
    monkeypatch.setattr('mmskd.models.flow.raft_flow.import_raft',
                        lambda: module)
    source = TASK_UTILS.build(
        dict(_scope_='mmskd', type='RAFTFlow', variant='small',
             num_flow_updates=3))
    assert built == dict(weights='DEFAULT', progress=False)
    assert not any(p.requires_grad for p in fake.parameters())
    # Raw pixels 0 and 255, normalised as the data preprocessor does.
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    raw_t = torch.zeros(1, 3, 30, 45)
    raw_t[..., :10, :] = 255
    raw_tk = torch.full((1, 3, 30, 45), 255.)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        flow = source((raw_t - mean) / std, (raw_tk - mean) / std)
    (first, second, updates, training, autocast), = fake.calls
    assert updates == 3 and not training and not autocast
    assert first.dtype == second.dtype == torch.float32
    assert first.shape == (1, 3, 32, 48)  # padded to multiples of 8
    assert torch.allclose(first[0, 0, :10, :45], torch.ones(10, 45))
    assert torch.allclose(first[0, 0, 10:30, :45], -torch.ones(20, 45))
    # Replicate padding repeats the last row and column.
    assert torch.equal(first[0, :, 30:], first[0, :, 29:30].expand(-1, 2, -1))
    assert flow.shape == (1, 2, 30, 45) and flow.dtype == torch.float32
    assert torch.allclose(flow[0, 0], first[0, 0, :30, :45])
    assert torch.allclose(flow[0, 1], torch.ones(30, 45))
