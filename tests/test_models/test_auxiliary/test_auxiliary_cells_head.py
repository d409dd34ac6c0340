# Copyright (c) mmskd contributors. All rights reserved.
"""AuxiliaryCellsHead (thesis §6.3.4's search space): a structure of skips
against a forward written out by hand, the basic module as a point of the
space, every op at every width, and the errors that name a wrong token."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmskd.models.auxiliary import (ADAPTOR_OPS, AGGREGATORS,
                                    AuxiliaryController, basic_module_cells)

# The demo student's ResNet-18 at 1/8 width: its four stages' channels.
STAGES = [8, 16, 32, 64]


def head_cfg(cells, in_channels=STAGES, channels=4, **kwargs) -> dict:
    return dict(
        type='AuxiliaryCellsHead',
        _scope_='mmskd',
        in_channels=in_channels,
        in_index=list(range(len(in_channels))),
        channels=channels,
        cells=cells,
        num_classes=3,
        dropout_ratio=0,
        norm_cfg=dict(type='BN'),
        align_corners=False,
        **kwargs)


def build(cfg: dict) -> torch.nn.Module:
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(cfg)


def stages(widths=STAGES) -> list:
    torch.manual_seed(1)
    sizes = [32, 16, 16, 16]  # a D8 ResNet: the last two stages dilated
    return [
        torch.randn(2, width, size, size)
        for width, size in zip(widths, sizes)
    ]


def test_skips_sum_and_concat_as_written_by_hand():
    """Cell 0 sums stage 0, resized to stage 1's (coarser) size, and stage
    1; cell 1 concatenates cell 0 with stage 1; the prediction reads it."""
    head = build(
        head_cfg([(0, 1, 'skip', 'skip', 'sum'),
                  (2, 1, 'skip', 'skip', 'concat')],
                 in_channels=[4, 4],
                 channels=4)).eval()
    first, second = stages([4, 4])[:2]
    resized = F.interpolate(
        first, size=(16, 16), mode='bilinear', align_corners=False)
    cell_0 = resized + second
    cell_1 = torch.cat([cell_0, second], dim=1)
    expected = F.conv2d(cell_1, head.conv_seg.weight, head.conv_seg.bias)
    assert torch.allclose(head([first, second]), expected, atol=1e-6)


@pytest.mark.parametrize('mode', ['train', 'eval'])
def test_the_basic_module_is_a_point_of_the_space(mode):
    """With the basic module's weights, and the first cell's second 1x1
    branch at zero (conv and BN shift), the cells give eq. 6.1 exactly."""
    common = dict(
        in_channels=STAGES,
        in_index=[0, 1, 2, 3],
        channels=4,
        num_classes=3,
        dropout_ratio=0,
        norm_cfg=dict(type='BN'),
        align_corners=False)
    basic = build(
        dict(
            type='AuxiliaryModuleHead',
            _scope_='mmskd',
            adaptor_kernel=1,
            **common))
    cells = build(head_cfg(basic_module_cells(4)))
    first = cells.cells[0].branches
    first[0][0].load_state_dict(basic.adaptors[0].state_dict())
    torch.nn.init.zeros_(first[1][0].conv.weight)
    torch.nn.init.zeros_(first[1][0].bn.bias)
    for index in (1, 2, 3):
        skip, adaptor = cells.cells[index].branches
        assert isinstance(skip[0], torch.nn.Identity) and len(skip) == 1
        adaptor[0].load_state_dict(basic.adaptors[index].state_dict())
    cells.conv_seg.load_state_dict(basic.conv_seg.state_dict())
    getattr(basic, mode)()
    getattr(cells, mode)()
    inputs = stages()
    assert torch.allclose(cells(inputs), basic(inputs), atol=1e-5)
    assert basic_module_cells(4) == [(0, 0, 'conv1x1', 'conv1x1', 'sum'),
                                     (4, 1, 'skip', 'conv1x1', 'concat'),
                                     (5, 2, 'skip', 'conv1x1', 'concat'),
                                     (6, 3, 'skip', 'conv1x1', 'concat')]


@pytest.mark.parametrize('aggregator', AGGREGATORS)
@pytest.mark.parametrize('op', ADAPTOR_OPS)
def test_every_op_and_aggregator_builds_at_every_width(op, aggregator):
    """Stage 0 and stage 3 (8 and 64 channels, two sizes) through the op,
    then the op again on that cell and stage 1, and so on: a sum projects
    a skip of another width than ``channels``; a concat adds widths."""
    cells = [(0, 3, op, op, aggregator), (4, 1, op, op, aggregator),
             (5, 2, op, op, aggregator), (6, 0, op, op, aggregator)]
    head = build(head_cfg(cells))
    widths = list(STAGES)
    for cell, (input_1, input_2, *_) in zip(head.cells, cells):
        branch = [
            widths[position] if op == 'skip' else 4
            for position in (input_1, input_2)
        ]
        if aggregator == 'sum':
            assert cell.out_channels == 4
            projected = [len(b) == 2 for b in cell.branches]
            assert projected == [width != 4 for width in branch]
        else:
            assert cell.out_channels == sum(branch)
        widths.append(cell.out_channels)
    output = head(stages())
    assert output.shape == (2, 3, 16, 16)
    output.sum().backward()
    assert all(p.grad is not None for p in head.parameters()
               if p.requires_grad)


def test_every_sampled_structure_builds_and_runs():
    controller = AuxiliaryController(num_inputs=4)
    generator = torch.Generator().manual_seed(0)
    inputs = [stage[:1] for stage in stages()]
    for _ in range(20):
        cells, log_prob, entropy = controller.sample(generator)
        head = build(head_cfg(cells))
        # At the last cell's size: stage 0's if it reads only that.
        assert head(inputs).shape in [(1, 3, 16, 16), (1, 3, 32, 32)]
        assert log_prob.item() < 0 and entropy.item() > 0


@pytest.mark.parametrize('cells, message', [
    ([(0, 0, 'skip', 'skip', 'sum')] * 3,
     r'one cell per backbone output it takes \(4\); got 3 cells'),
    ([(0, 4, 'skip', 'skip', 'sum')] + [(0, 0, 'skip', 'skip', 'sum')] * 3,
     r'Cell 0 reads loc\[4\]; it may read 0 to 3'),
    ([(0, 0, 'conv5x5', 'skip', 'sum')] + [(0, 0, 'skip', 'skip', 'sum')] * 3,
     "Cell 0 has the adaptor op 'conv5x5'; the ops are sep_conv3x3, "),
    ([(0, 0, 'skip', 'skip', 'sum')] * 3 + [(0, 0, 'skip', 'skip', 'max')],
     "Cell 3 has the aggregator 'max'; the aggregators are sum, concat"),
    ([(0, 0, 'skip', 'skip')] * 4, r'Cell 0 is \[0, 0, .skip., .skip.\]'),
])
def test_a_wrong_token_is_named(cells, message):
    with pytest.raises(ValueError, match=message):
        build(head_cfg(cells))
