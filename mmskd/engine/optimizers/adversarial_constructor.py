# Copyright (c) mmskd contributors. All rights reserved.
"""One optimizer for the student and one for each opponent it plays."""
from typing import Optional, Sequence

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from torch import nn

from mmskd.models.utils import unwrap
from mmskd.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class AdversarialOptimWrapperConstructor:
    """Build ``OptimWrapperDict(architecture=..., discriminator=...)``.

    The keys come from the algorithm: its ``student_optim_key`` (e.g.
    ``'architecture'``) and its ``opponent_optim_keys``, the names of the
    modules it trains against the student (e.g. ``('discriminator', )`` for
    :class:`~mmskd.models.HolisticDistill`). Unlike mmrazor's
    ``SeparateOptimWrapperConstructor``, which gives one optimizer to each
    named child, the student's optimizer here takes every trainable
    parameter outside the opponents: the student and the distiller's
    connectors (which would otherwise not be trained). The frozen teacher is
    left out. Each entry is an ordinary optim-wrapper config and
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
        optim_wrapper_cfg (dict): One optim-wrapper config per key, e.g.
            ``architecture`` and ``discriminator``; checked against the
            algorithm's keys when the wrappers are built.
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
        self.constructors = {
            key: self._default_constructor(cfg)
            for key, cfg in optim_wrapper_cfg.items()
        }

    @staticmethod
    def _default_constructor(cfg: dict) -> DefaultOptimWrapperConstructor:
        cfg = dict(cfg)
        paramwise_cfg = cfg.pop('paramwise_cfg', None)
        return DefaultOptimWrapperConstructor(cfg, paramwise_cfg)

    def _check_keys(self, algorithm: nn.Module, student_key: str,
                    opponent_keys: Sequence[str]) -> None:
        """Refuse wrapper configs that do not match the algorithm's parts."""
        expected = {student_key, *opponent_keys}
        missing = expected - set(self.constructors)
        extra = set(self.constructors) - expected
        if missing or extra:
            raise ValueError(
                f'{type(algorithm).__name__} trains {sorted(expected)}, so '
                f'optim_wrapper needs exactly those keys; missing '
                f'{sorted(missing)}, unexpected {sorted(extra)}.')

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build one optimizer wrapper per trained part of ``model``.

        Args:
            model (nn.Module): The algorithm, possibly wrapped by DDP.

        Returns:
            OptimWrapperDict: The student's wrapper under the algorithm's
            ``student_optim_key`` and one per ``opponent_optim_keys``.
        """
        algorithm = unwrap(model)
        opponent_keys = tuple(getattr(algorithm, 'opponent_optim_keys', ()))
        if not opponent_keys:
            raise ValueError(
                f'{type(algorithm).__name__} trains no opponent (it has no '
                '`opponent_optim_keys`, e.g. a discriminator): the '
                'adversarial optimizers are for configs with a holistic '
                'term. Use a plain optim_wrapper otherwise.')
        student_key = algorithm.student_optim_key
        self._check_keys(algorithm, student_key, opponent_keys)
        student_parts = nn.ModuleDict({
            name: unwrap(child)
            for name, child in algorithm.named_children()
            if name not in (*opponent_keys, 'teacher') and any(
                p.requires_grad for p in child.parameters())
        })
        wrappers = {student_key: self.constructors[student_key](student_parts)}
        for key in opponent_keys:
            wrappers[key] = self.constructors[key](
                unwrap(getattr(algorithm, key)))
        return OptimWrapperDict(**wrappers)
