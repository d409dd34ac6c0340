# Copyright (c) mmskd contributors. All rights reserved.
"""The auxiliary search's controller, PPO update and reward: a structure's
log-probability replayed, the clipped objective by hand, one update on a toy
reward moving probability towards the better structures, the baseline and
the geometric mean by hand."""
import math

import pytest
import torch

from mmskd.models.auxiliary import AuxiliaryController, basic_module_cells
from mmskd.search import (PPOSettings, RewardBaseline, geometric_mean_reward,
                          ppo_update)


def controller() -> AuxiliaryController:
    torch.manual_seed(0)
    return AuxiliaryController(num_inputs=4, hidden_size=16)


def test_a_sample_replays_to_its_log_probability():
    policy = controller()
    cells, log_prob, entropy = policy.sample(torch.Generator().manual_seed(3))
    replayed, replayed_entropy = policy.evaluate(cells)
    assert torch.allclose(replayed, log_prob)
    assert torch.allclose(replayed_entropy, entropy)
    assert policy.to_cells(policy.to_tokens(cells)) == cells
    # 20 tokens, 6 of them positions: the first cell's two among 4 entries.
    assert len(policy.to_tokens(cells)) == 20
    log_prob, _ = policy.evaluate(basic_module_cells(4))
    assert log_prob.item() < 0


def test_the_clipped_objective_by_hand():
    """Ratios e^0.5, e^-0.5 and 1 against advantages 1, -1 and 2:
    min(1.649, 1.2) + min(-0.607, -0.8) + 2 over three = 0.8."""
    policy = controller()
    structures = [
        policy.sample(torch.Generator().manual_seed(seed))[0]
        for seed in range(3)
    ]
    now = [policy.evaluate(cells)[0].detach() for cells in structures]
    old = [now[0] - 0.5, now[1] + 0.5, now[2]]
    stats = ppo_update(policy, torch.optim.SGD(policy.parameters(), lr=0.),
                       structures, old, [1., -1., 2.],
                       PPOSettings(clip=0.2, epochs=1, entropy_weight=0.))
    assert stats['objective'] == pytest.approx((1.2 - 0.8 + 2) / 3)
    assert stats['loss'] == pytest.approx(-stats['objective'])


def toy_reward(cells) -> float:
    """One point for every 1x1 adaptor."""
    return float(sum(cell[2:4].count('conv1x1') for cell in cells))


def test_one_update_moves_probability_to_the_better_structures():
    policy = controller()
    generator = torch.Generator().manual_seed(0)
    batch = [policy.sample(generator) for _ in range(16)]
    structures = [cells for cells, _, _ in batch]
    rewards = [toy_reward(cells) for cells in structures]
    advantages = RewardBaseline(0.9).advantages(rewards)
    before = [policy.evaluate(cells)[0].item() for cells in structures]
    ppo_update(policy, torch.optim.Adam(policy.parameters(), lr=1e-2),
               structures, [log_prob for _, log_prob, _ in batch],
               advantages, PPOSettings())
    after = [policy.evaluate(cells)[0].item() for cells in structures]
    best, worst = rewards.index(max(rewards)), rewards.index(min(rewards))
    assert max(rewards) > min(rewards)
    assert after[best] > before[best] and after[worst] < before[worst]
    # The probability-weighted reward rose: sum of p * advantage.
    gain = sum((math.exp(a) - math.exp(b)) * advantage
               for a, b, advantage in zip(after, before, advantages))
    assert gain > 0


def test_the_baseline_by_hand_and_resumed():
    baseline = RewardBaseline(0.9)
    assert baseline.advantages([1., 3.]) == [-1., 1.]  # the batch's mean
    assert baseline.value == 2.
    assert baseline.advantages([4.]) == [2.]
    assert baseline.value == pytest.approx(0.9 * 2 + 0.1 * 4)
    resumed = RewardBaseline(0.9)
    resumed.load_state_dict(baseline.state_dict())
    assert resumed.advantages([1.]) == baseline.advantages([1.])


def test_the_reward_is_a_geometric_mean_with_errors_inverted():
    assert geometric_mean_reward({'mIoU': 40.}) == pytest.approx(40.)
    assert geometric_mean_reward(
        {
            'mIoU': 40.,
            'abs_rel': 0.25
        }, lower_is_better={'abs_rel'}) == pytest.approx(math.sqrt(40. * 4.))
    assert geometric_mean_reward({'mIoU': 0., 'aAcc': 50.}) == 0.
    with pytest.raises(ValueError, match='metric abs_rel must be positive'):
        geometric_mean_reward({'abs_rel': 0.}, lower_is_better={'abs_rel'})
    with pytest.raises(ValueError, match='metric mIoU must be 0 or more'):
        geometric_mean_reward({'mIoU': -1.})
