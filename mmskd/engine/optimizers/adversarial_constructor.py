# Copyright (c) mmskd contributors. All rights reserved.
"""Two optimizers for holistic distillation: the student's and the critic's."""
from typing import Optional

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from torch import nn

from mmskd.models.algorithms.structured_distill import (CRITIC_OPTIM,
                                                        STUDENT_OPTIM)
from mmskd.models.utils import unwrap
from mmskd.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class AdversarialOptimWrapperConstructor:
    """Build ``OptimWrapperDict(architecture=..., discriminator=...)``.

    Unlike mmrazor's ``SeparateOptimWrapperConstructor``, which gives one
    optimizer to each named child, the ``architecture`` optimizer here takes
    every trainable parameter outside the critic: the student and the
    distiller's connectors (which would otherwise not be trained). The frozen
    teacher is left out. Each entry is an ordinary optim-wrapper config and
    may hold its own ``paramwise_cfg``; parameter names keep the algorithm's
    prefixes (``architecture.``, ``distiller.``).

    Example::

        optim_wrapper = dict(
            constructor='mmskd.AdversarialOptimWrapperConstructor',
            architecture=dict(optimizer=dict(type='SGD', lr=0.01,
                                             momentum=0.9)),
            discriminator=dict(optimizer=dict(type='SGD', lr=4e-4,
                                              momentum=0.9)))

    Args:
        optim_wrapper_cfg (dict): ``architecture`` and ``discriminator``
            optim-wrapper configs.
        paramwise_cfg (dict, optional): Must be None; put it inside the
            entries instead.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg is not None:
            raise ValueError(
                'Give paramwise_cfg inside `architecture` or '
                '`discriminator`, not at the top of optim_wrapper.')
        missing = {STUDENT_OPTIM, CRITIC_OPTIM} - set(optim_wrapper_cfg)
        extra = set(optim_wrapper_cfg) - {STUDENT_OPTIM, CRITIC_OPTIM}
        if missing or extra:
            raise ValueError(
                'optim_wrapper needs exactly the keys '
                f'{STUDENT_OPTIM!r} and {CRITIC_OPTIM!r}; missing '
                f'{sorted(missing)}, unexpected {sorted(extra)}.')
        self.constructors = {
            key: self._default_constructor(cfg)
            for key, cfg in optim_wrapper_cfg.items()
        }

    @staticmethod
    def _default_constructor(cfg: dict) -> DefaultOptimWrapperConstructor:
        cfg = dict(cfg)
        paramwise_cfg = cfg.pop('paramwise_cfg', None)
        return DefaultOptimWrapperConstructor(cfg, paramwise_cfg)

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        algorithm = unwrap(model)
        critic = getattr(algorithm, CRITIC_OPTIM, None)
        if critic is None:
            raise ValueError(
                f'{type(algorithm).__name__} has no `{CRITIC_OPTIM}`: the '
                'adversarial optimizers are for configs with a holistic '
                'term. Use a plain optim_wrapper otherwise.')
        trainable = nn.ModuleDict({
            name: unwrap(child)
            for name, child in algorithm.named_children()
            if name not in (CRITIC_OPTIM, 'teacher') and any(
                p.requires_grad for p in child.parameters())
        })
        return OptimWrapperDict(
            **{
                STUDENT_OPTIM: self.constructors[STUDENT_OPTIM](trainable),
                CRITIC_OPTIM: self.constructors[CRITIC_OPTIM](unwrap(critic)),
            })
