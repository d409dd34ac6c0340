# Copyright (c) mmskd contributors. All rights reserved.
"""Proximal policy optimisation of the auxiliary controller.

The thesis trains its controller with PPO and gives none of its settings;
these are mmskd's: the clipped objective of Schulman et al. (2017) over a
batch of sampled structures, a few epochs per batch, an entropy bonus that
keeps the controller from settling early, and an exponential moving average
of the rewards as the baseline.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor
from torch.optim import Optimizer

from mmskd.models.auxiliary import AuxiliaryController
from mmskd.models.auxiliary.search_space import Cell


@dataclass
class PPOSettings:
    """What a PPO update does.

    Args:
        clip (float): The ratio's clipping range, 1 +- clip. Defaults to
            0.2 (Schulman et al.'s).
        epochs (int): Passes over each batch of structures. Defaults to 4.
        entropy_weight (float): The entropy bonus's weight. Defaults to
            1e-3.
        baseline_decay (float): The moving average's decay. Defaults to
            0.9.
    """
    clip: float = 0.2
    epochs: int = 4
    entropy_weight: float = 1e-3
    baseline_decay: float = 0.9


class RewardBaseline:
    """An exponential moving average of the batches' mean rewards.

    Args:
        decay (float): Weight of the old average in each update.
    """

    def __init__(self, decay: float) -> None:
        self.decay = decay
        self.value: Optional[float] = None

    def advantages(self, rewards: Sequence[float]) -> List[float]:
        """Each reward less the baseline before this batch (the batch's
        mean for the first), then the baseline updated with the batch."""
        mean = sum(rewards) / len(rewards)
        baseline = mean if self.value is None else self.value
        self.value = mean if self.value is None else (
            self.decay * self.value + (1 - self.decay) * mean)
        return [reward - baseline for reward in rewards]

    def state_dict(self) -> dict:
        """What a resumed search needs."""
        return dict(value=self.value)

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""
        self.value = state['value']


def ppo_update(controller: AuxiliaryController, optimizer: Optimizer,
               structures: Sequence[Sequence[Cell]],
               old_log_probs: Sequence[Tensor], advantages: Sequence[float],
               settings: PPOSettings) -> Dict[str, float]:
    """Update the controller on a batch of sampled structures.

    Args:
        controller (AuxiliaryController): The policy.
        optimizer (Optimizer): Over its parameters.
        structures (Sequence): The structures sampled.
        old_log_probs (Sequence[Tensor]): Their log-probabilities when they
            were sampled.
        advantages (Sequence[float]): Their rewards less the baseline.
        settings (PPOSettings): The update's settings.

    Returns:
        dict: The last epoch's loss, clipped objective and mean entropy.
    """
    old = torch.stack([log_prob.detach() for log_prob in old_log_probs])
    advantage = torch.as_tensor(advantages, dtype=old.dtype)
    for _ in range(settings.epochs):
        log_probs, entropies = zip(
            *(controller.evaluate(cells) for cells in structures))
        ratio = torch.exp(torch.stack(log_probs) - old)
        clipped = ratio.clamp(1 - settings.clip, 1 + settings.clip)
        objective = torch.min(ratio * advantage, clipped * advantage).mean()
        entropy = torch.stack(entropies).mean()
        loss = -objective - settings.entropy_weight * entropy
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return dict(
        loss=loss.item(), objective=objective.item(), entropy=entropy.item())
