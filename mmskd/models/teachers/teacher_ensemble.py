# Copyright (c) mmskd contributors. All rights reserved.
"""Several frozen teachers that a distillation algorithm runs as one."""
import copy
import functools
import logging
from typing import Callable, Dict, List, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import Tensor, nn

from mmskd.registry import MODELS
from ..distillers.connector_channels import recorded_channels
from ..losses.utils import resize_to
from ..utils import load_teacher_checkpoint
from ..utils.checkpoint import teacher_restored_later
from ..utils.suggestions import did_you_mean

#: The module whose outputs are the averaged maps, ``averaged.<name>``.
AVERAGED = 'averaged'


class AveragedMap(nn.Identity):
    """The module that outputs one averaged map (``averaged.<name>``).

    Its ``out_channels`` is the width of the maps it averages (None where
    no source module states one), so that a connector on a recorder of it
    infers its width as from any head module.

    Args:
        out_channels (int, optional): The averaged maps' width.
    """

    def __init__(self, out_channels: Optional[int]) -> None:
        super().__init__()
        self.out_channels = out_channels


@MODELS.register_module()
class TeacherEnsemble(BaseModel):
    """Several teachers, run in ``mode='tensor'`` one after another, as one.

    Give it as an algorithm's ``teacher``. Each teacher is a submodule named
    as in ``teachers``, so the distiller's teacher recorders name their
    modules through it (``source='pspnet.decode_head.conv_seg'``): one term
    per teacher is a loss per recorder. For terms on the teachers' averaged
    maps, ``average`` names a module in every teacher; the ensemble averages
    their outputs after each forward and outputs the result from the module
    ``averaged.<name>``, which a recorder records like any other.

    The algorithm freezes the ensemble as any teacher (eval mode, no
    gradients). The average is of the maps as recorded (logits: a term's
    softmax of the mean logits is the teachers' normalised geometric mean, a
    product of experts), each bilinearly resized (``align_corners=False``)
    to the largest map first, so no teacher's detail is pooled away; the
    maps must have one width, and each source must run once a forward.
    Averaging score maps is sound, their channels being the same classes;
    the channels of two architectures' features do not correspond, so an
    average of features is only a mixture the student is asked to match.

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

    #: The teachers' checkpoints by name (``ckpt``), e.g. for tools that
    #: must not download them.
    checkpoints: Dict[str, Optional[str]]

    def __init__(self,
                 teachers: Dict[str, dict],
                 average: Optional[Dict[str, Union[str, dict]]] = None,
                 data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        if not teachers:
            raise ValueError('TeacherEnsemble needs at least one teacher in '
                             '`teachers` (name -> config with `ckpt`).')
        self.names: List[str] = list(teachers)
        self.sources: Dict[str, Dict[str, str]] = {}
        self._outputs: Dict[str, Dict[str, List[object]]] = {}
        self.checkpoints = {}
        for name, cfg in teachers.items():
            _check_name(self, name)
            cfg = copy.deepcopy(dict(cfg))
            self.checkpoints[name] = cfg.pop('ckpt', None)
            self.add_module(name, MODELS.build(cfg))
        self.sources = {
            name: self._checked_sources(name, sources)
            for name, sources in (average or {}).items()
        }
        self.averaged = nn.ModuleDict({
            name: AveragedMap(self._shared_width(name))
            for name in self.sources
        })
        for name, sources in self.sources.items():
            for teacher, source in sources.items():
                # A partial of a method, not a closure: a deep copy of the
                # ensemble (e.g. an EMA model) then keeps into the copy.
                self.member(teacher).get_submodule(
                    source).register_forward_hook(
                        functools.partial(self._keep, name, teacher))
        if not teacher_restored_later():
            self._load_checkpoints()

    def member(self, name: str) -> BaseModel:
        """The teacher called ``name``.

        Args:
            name (str): A key of ``teachers``.

        Returns:
            BaseModel: That teacher.
        """
        return getattr(self, name)

    def members(self) -> Dict[str, BaseModel]:
        """The teachers.

        Returns:
            dict: Name -> teacher, in the order of ``teachers``.
        """
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

        Raises:
            ValueError: For a mode other than ``'tensor'``.
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

    def _run(self, run_one: Callable[[BaseModel],
                                     object]) -> Dict[str, object]:
        """Run each teacher, then output the averages of what they gave."""
        self._outputs = {
            name: {
                teacher: []
                for teacher in self.names
            }
            for name in self.sources
        }
        try:
            outputs = {
                name: run_one(teacher)
                for name, teacher in self.members().items()
            }
            outputs[AVERAGED] = {
                name: self.averaged[name](self._average(name, kept))
                for name, kept in self._outputs.items()
            }
        finally:
            self._outputs = {}
        return outputs

    def _keep(self, name: str, teacher: str, module: nn.Module, args: tuple,
              output: object) -> None:
        """A forward hook keeping a source's output for the average."""
        if name in self._outputs:
            self._outputs[name][teacher].append(output)

    def _average(self, name: str, kept: Dict[str, List[object]]) -> Tensor:
        """The mean of each teacher's one map, at the largest one's size."""
        for teacher, outputs in kept.items():
            source = self.sources[name][teacher]
            if len(outputs) != 1 or not isinstance(outputs[0], Tensor):
                raise ValueError(
                    f'average[{name!r}] needs one tensor from '
                    f'{teacher}.{source} a forward, but it gave '
                    f'{len(outputs)} output(s) '
                    f'({[type(o).__name__ for o in outputs]}). Average a '
                    'module that runs once and returns a map (a head\'s '
                    "conv, not a shared activation nor a backbone), with "
                    "teacher_forward='tensor' for a head's module.")
        maps = [outputs[0] for outputs in kept.values()]
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
                raise ValueError(
                    f'average[{name!r}] names {source!r}, which the teacher '
                    f'{teacher!r} does not have.'
                    f'{did_you_mean(source, modules)} Name a module of '
                    f'`[n for n, _ in teacher.named_modules()]`.')
        return dict(sources)

    def _shared_width(self, name: str) -> Optional[int]:
        """The width of the maps ``average[name]`` averages, or None if no
        source module states one; two stated widths must agree."""
        widths = {
            teacher: recorded_channels(
                dict(type='ModuleOutputs', source=source),
                self.member(teacher))
            for teacher, source in self.sources[name].items()
        }
        known = {width for width in widths.values() if width is not None}
        if len(known) > 1:
            raise ValueError(
                f'average[{name!r}] averages maps of different widths '
                f'({widths}): a mean needs one width. Average modules whose '
                'outputs have as many channels, or give each teacher its own '
                'term.')
        return known.pop() if known else None

    def _load_checkpoints(self) -> None:
        """Load each teacher's ``ckpt``; warn for a teacher without one."""
        for name, ckpt in self.checkpoints.items():
            if ckpt:
                load_teacher_checkpoint(
                    self.member(name), ckpt,
                    f'model.teacher.teachers.{name}.ckpt')
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


def ensemble_members(teacher: object) -> Dict[str, dict]:
    """The member configs of a ``TeacherEnsemble`` config, by name.

    Args:
        teacher (object): A distillation config's ``model.teacher``.

    Returns:
        dict: Name -> member config; empty for one teacher (a model config
        or a config file).
    """
    if not isinstance(teacher, dict):
        return {}
    return dict(teacher.get('teachers') or {})
