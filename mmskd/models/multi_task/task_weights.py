# Copyright (c) mmskd contributors. All rights reserved.
"""How a multi-task network weighs its task losses."""
from typing import Dict, Optional, Sequence

import torch
from mmseg.utils import add_prefix
from torch import Tensor, nn

from mmskd.registry import MODELS
from .tasks import TASKS

TaskLosses = Dict[str, Dict[str, Tensor]]


def scale_losses(losses: Dict[str, Tensor],
                 weight: Tensor) -> Dict[str, Tensor]:
    """The loss entries (names with ``loss``) times ``weight``; the logged
    metrics (e.g. ``acc_seg``) as they are.

    Args:
        losses (dict[str, Tensor]): A head's losses and metrics.
        weight (float | Tensor): The factor.

    Returns:
        dict[str, Tensor]: The scaled entries.
    """
    return {
        name: value * weight if 'loss' in name else value
        for name, value in losses.items()
    }


@MODELS.register_module()
class FixedTaskWeights(nn.Module):
    """The sum of the task losses with fixed weights (the thesis's baseline,
    :math:`\\alpha^t = 1` for every task, App. A.1).

    Args:
        tasks (Sequence[str]): The network's tasks (set by the network).
        weights (dict[str, float], optional): A weight per task; a task left
            out weighs 1.
    """

    def __init__(self,
                 tasks: Sequence[str],
                 weights: Optional[Dict[str, float]] = None) -> None:
        super().__init__()
        weights = dict(weights or {})
        unknown = sorted(set(weights) - set(tasks))
        if unknown:
            raise ValueError(f'weights has tasks {unknown} that the network '
                             f'does not have; its tasks are {tuple(tasks)}')
        self.weights = {task: float(weights.get(task, 1.0)) for task in tasks}

    def forward(self, task_losses: TaskLosses) -> Dict[str, Tensor]:
        """Each task's losses times its weight, prefixed by the task.

        Args:
            task_losses (dict[str, dict[str, Tensor]]): Each task head's
                losses.

        Returns:
            dict[str, Tensor]: ``TASK.NAME`` entries.
        """
        losses = {}
        for task, task_loss in task_losses.items():
            losses.update(
                add_prefix(scale_losses(task_loss, self.weights[task]), task))
        return losses


@MODELS.register_module()
class UncertaintyTaskWeights(nn.Module):
    """Kendall et al.'s homoscedastic uncertainty weighting (CVPR 2018).

    With a learnt :math:`s_t = \\log \\sigma_t^2` per task, a classification
    task's loss becomes :math:`e^{-s_t} L_t + s_t / 2` (their eq. 10) and a
    regression task's :math:`e^{-s_t} L_t / 2 + s_t / 2` (eq. 7):
    ``TASK.loss_*`` entries are scaled and ``TASK.loss_uncertainty`` is
    :math:`s_t / 2`; ``TASK.log_variance`` logs :math:`s_t`. The
    :math:`s_t` are parameters of the network: the optimizer trains them
    (the Kendall config exempts them from weight decay, ``paramwise_cfg``)
    and checkpoints keep them. The
    auxiliary heads' losses are not weighted by them.

    Segmentation and mmskd's depth (a classification over depth bins,
    ``DepthBinHead``) are classification; the normals' cosine loss is a
    regression.

    Args:
        tasks (Sequence[str]): The network's tasks (set by the network).
        regression (Sequence[str]): The regression tasks, among ``tasks``.
            Defaults to ``('normals', )`` (only those of them the network
            has): list ``depth`` for a depth head that regresses.
        init_log_variance (float): :math:`s_t` at the start. Defaults to 0.
    """

    def __init__(self,
                 tasks: Sequence[str],
                 regression: Sequence[str] = ('normals', ),
                 init_log_variance: float = 0.0) -> None:
        super().__init__()
        unknown = sorted(set(regression) - set(TASKS))
        if unknown:
            raise ValueError(f'regression has tasks {unknown}; a task is '
                             f'one of {TASKS}')
        self.tasks = tuple(tasks)
        self.regression = tuple(task for task in regression if task in tasks)
        self.log_variances = nn.ParameterDict({
            task:
            nn.Parameter(torch.tensor(float(init_log_variance)))
            for task in self.tasks
        })

    def forward(self, task_losses: TaskLosses) -> Dict[str, Tensor]:
        """Each task's losses weighted by its learnt uncertainty.

        Args:
            task_losses (dict[str, dict[str, Tensor]]): Each task head's
                losses.

        Returns:
            dict[str, Tensor]: ``TASK.NAME``, ``TASK.loss_uncertainty`` and
            ``TASK.log_variance`` entries.
        """
        losses = {}
        for task, task_loss in task_losses.items():
            log_variance = self.log_variances[task]
            scale = 0.5 if task in self.regression else 1.0
            weighted = scale_losses(task_loss,
                                    scale * torch.exp(-log_variance))
            weighted['loss_uncertainty'] = 0.5 * log_variance
            weighted['log_variance'] = log_variance.detach()
            losses.update(add_prefix(weighted, task))
        return losses
