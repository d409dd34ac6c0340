# Copyright (c) mmskd contributors. All rights reserved.
"""Several frozen teachers that a distillation algorithm runs as one."""
import copy
import difflib
import logging
from typing import Dict, List, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import Tensor, nn

from mmskd.registry import MODELS
from ..losses.utils import resize_to
from ..utils import load_teacher_checkpoint
from ..utils.checkpoint import teacher_restored_later

#: The module whose outputs are the averaged maps, ``averaged.<name>``.
AVERAGED = 'averaged'


@MODELS.register_module()
class TeacherEnsemble(BaseModel):
    """Several teachers, each frozen and run in ``mode='tensor'``, as one.

    Give it as an algorithm's ``teacher``. Each teacher is a submodule named
    as in ``teachers``, so the distiller's teacher recorders name their
    modules through it (``source='pspnet.decode_head.conv_seg'``): one term
    per teacher is a loss per recorder. For terms on the teachers' averaged
    maps, ``average`` names a module in every teacher; the ensemble averages
    their outputs after each forward and outputs the result from the module
    ``averaged.<name>``, which a recorder records like any other.

    The average is of the maps as recorded (logits: a term's softmax of the
    mean logits is the teachers' normalised geometric mean, a product of
    experts), each bilinearly resized (``align_corners=False``) to the
    largest map first, so no teacher's detail is pooled away; the maps must
    have one width.

    Args:
        teachers (dict): Name -> teacher config, with its own ``ckpt`` (path
            or URL, read as ``teacher_ckpt`` is) and, as any teacher,
            ``cfg_path`` and overrides.
        average (dict, optional): Name -> the module of each teacher whose
            outputs to average: one path for all (``'decode_head.conv_seg'``)
            or one per teacher (``dict(pspnet='decode_head.bottleneck',
            deeplabv3plus='decode_head.sep_bottleneck')``). Defaults to None.
        data_preprocessor (dict, optional): Unused (the algorithm
            preprocesses each batch); BaseModel's default.

    Raises:
        ValueError: For no teachers, a name that clashes with an attribute,
            or an ``average`` source a teacher does not have.
    """

    def __init__(self,
                 teachers: Dict[str, dict],
                 average: Optional[Dict[str, Union[str, dict]]] = None,
                 data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        if not teachers:
            raise ValueError('TeacherEnsemble needs at least one teacher in '
                             '`teachers` (name -> config with `ckpt`).')
        self.names: List[str] = list(teachers)
        checkpoints = {}
        for name, cfg in teachers.items():
            _check_name(self, name)
            cfg = copy.deepcopy(dict(cfg))
            checkpoints[name] = cfg.pop('ckpt', None)
            self.add_module(name, MODELS.build(cfg))
        self.averaged = nn.ModuleDict(
            {name: nn.Identity()
             for name in average or {}})
        self.sources = {
            name: self._checked_sources(name, sources)
            for name, sources in (average or {}).items()
        }
        self._outputs: Dict[str, List[Tensor]] = {}
        for name, sources in self.sources.items():
            for teacher, source in sources.items():
                self.member(teacher).get_submodule(
                    source).register_forward_hook(self._keeper(name))
        if not teacher_restored_later():
            self._load_checkpoints(checkpoints)

    def member(self, name: str) -> BaseModel:
        """The teacher called ``name``."""
        return getattr(self, name)

    def members(self) -> Dict[str, BaseModel]:
        """Name -> teacher, in the order of ``teachers``."""
        return {name: self.member(name) for name in self.names}

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Dict[str, object]:
        """Run every teacher, then output the averaged maps.

        Args:
            inputs (Tensor): The preprocessed batch.
            data_samples (list, optional): Its data samples.
            mode (str): Only ``'tensor'``: teachers are not trained or
                evaluated here.

        Returns:
            dict: Name -> that teacher's tensor outputs, and ``averaged``:
            name -> averaged map.
        """
        if mode != 'tensor':
            raise ValueError(
                f"TeacherEnsemble runs its teachers in mode='tensor' only "
                f'(got {mode!r}): evaluate each teacher with its own config.')
        return self._run(
            lambda teacher: teacher(inputs, data_samples, mode='tensor'))

    def extract_feat(self, inputs: Tensor) -> Dict[str, object]:
        """Run every teacher's backbone and neck, then the averages.

        Args:
            inputs (Tensor): The preprocessed batch.

        Returns:
            dict: As :meth:`forward`.
        """
        return self._run(lambda teacher: teacher.extract_feat(inputs))

    def _run(self, run_one) -> Dict[str, object]:
        self._outputs = {name: [] for name in self.sources}
        outputs = {
            name: run_one(teacher)
            for name, teacher in self.members().items()
        }
        outputs[AVERAGED] = {
            name: self.averaged[name](self._average(name, maps))
            for name, maps in self._outputs.items() if maps
        }
        self._outputs = {}
        return outputs

    def _keeper(self, name: str):
        """A forward hook keeping a source's output for the average."""

        def keep(module: nn.Module, args: tuple, output: Tensor) -> None:
            if name in self._outputs:
                self._outputs[name].append(output)

        return keep

    def _average(self, name: str, maps: List[Tensor]) -> Tensor:
        """The mean of the maps at the largest one's size."""
        widths = {tuple(m.shape[:2]) for m in maps}
        if len(widths) > 1:
            raise ValueError(
                f'average[{name!r}] averages maps of shapes '
                f'{[tuple(m.shape) for m in maps]}: their batch and channel '
                'counts must agree. Average modules of one width (e.g. '
                'every score map, or features of equal channels).')
        size = max((m.shape[-2:] for m in maps), key=lambda s: s[0] * s[1])
        return torch.stack([resize_to(m, size) for m in maps]).mean(dim=0)

    def _checked_sources(self, name: str,
                         sources: Union[str, dict]) -> Dict[str, str]:
        """Teacher -> module path of one averaged map, each checked."""
        if isinstance(sources, str):
            sources = {teacher: sources for teacher in self.names}
        missing = sorted(set(self.names) - set(sources))
        if missing or set(sources) - set(self.names):
            raise ValueError(
                f'average[{name!r}] must name a module of every teacher '
                f'({self.names}), got {sorted(sources)}.')
        for teacher, source in sources.items():
            modules = [n for n, _ in self.member(teacher).named_modules()]
            if source not in modules:
                close = difflib.get_close_matches(source, modules, n=3)
                raise ValueError(
                    f'average[{name!r}] names {source!r}, which the teacher '
                    f'{teacher!r} does not have. Did you mean '
                    f'{", ".join(map(repr, close)) or "another module"}?')
        return dict(sources)

    def _load_checkpoints(self, checkpoints: Dict[str, Optional[str]]) -> None:
        for name, ckpt in checkpoints.items():
            if ckpt:
                load_teacher_checkpoint(self.member(name), ckpt)
                # Keep ``init_weights`` from overwriting the loaded teacher.
                self.member(name)._is_init = True
                continue
            print_log(
                f'teachers.{name} has no ckpt: it keeps its initial, '
                'untrained weights and the student learns to imitate them; '
                f'set model.teacher.teachers.{name}.ckpt to its checkpoint.',
                logger='current',
                level=logging.WARNING)


def _check_name(ensemble: nn.Module, name: str) -> None:
    """Refuse a teacher name that is not a plain, free attribute name."""
    if not name.isidentifier() or name == AVERAGED or hasattr(ensemble, name):
        raise ValueError(
            f'{name!r} cannot name a teacher: use a Python identifier other '
            f'than {AVERAGED!r} and the attributes of a model (e.g. '
            "'pspnet', 'deeplabv3plus').")
