# Copyright (c) mmskd contributors. All rights reserved.
"""Export a distilled student to ONNX, and check onnxruntime against
PyTorch on a batch (the work of ``tools/deployment/pytorch2onnx.py``).

The exported graph is the student alone, from the image batch after the
data preprocessor (normalised, RGB, N x 3 x H x W float32) to:

- segmentation: the score maps at the input's size (``seg_logits``, what
  mmseg's ``encode_decode`` returns, before the arg-max);
- detection: the head's raw outputs, level by level (``out0_level0``, ...:
  output i of the head's forward at level l, e.g. RetinaNet's class scores
  then box deltas), before box decoding and NMS, which mmdeploy adds.

The batch size is dynamic; the image size is the one exported (adaptive
pooling is written for it, see :mod:`.static_pooling`).
"""
import copy
import math
import os
import re
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, init_default_scope
from torch import Tensor, nn

from mmskd.models.utils import load_model_cfg
from mmskd.models.utils.checkpoint import read_model_checkpoint
from mmskd.models.utils.checkpoint_fit import (STUDENT_PREFIX,
                                               check_checkpoint_fits,
                                               checkpoint_state_dict,
                                               part_state_dict)
from mmskd.utils import allow_mmengine_checkpoints
from .static_pooling import static_adaptive_pools

STUDENT_FIX = ('Pass a checkpoint of a run of this config (the student is '
               'taken from it), or the student that '
               'tools/model_converters/convert_to_student.py exported from '
               'one.')
# The domains of the standard ONNX operators; another (e.g. mmcv's) needs
# its own runtime library.
ONNX_DOMAINS = ('', 'ai.onnx')


class UnsupportedOperatorError(ValueError):
    """The student holds an operation ONNX cannot express."""


def student_config(cfg: Config) -> dict:
    """The model config of the student a config trains.

    Args:
        cfg (Config): A distillation config (its ``model.architecture``) or
            a plain mmseg / mmdet config.

    Returns:
        dict: The student's full model config.
    """
    if 'architecture' in cfg.model:
        return load_model_cfg(cfg.model.architecture)
    return copy.deepcopy(cfg.model)


def student_state_dict(checkpoint: dict) -> dict:
    """The student's tensors in a checkpoint.

    Args:
        checkpoint (dict): A distillation run's (the student is under
            ``architecture.``) or an exported student's.

    Returns:
        dict: The student's state dict under its own names.
    """
    state_dict = checkpoint_state_dict(checkpoint)
    if any(key.startswith(STUDENT_PREFIX) for key in state_dict):
        return part_state_dict(state_dict, STUDENT_PREFIX)
    return state_dict


def init_student(config: str,
                 checkpoint: str,
                 cfg_options: Optional[dict] = None) -> nn.Module:
    """Build the student of a config and load its trained weights.

    Args:
        config (str): A distillation config or the student's own.
        checkpoint (str): A checkpoint of a run of ``config`` or an
            exported student.
        cfg_options (dict, optional): ``--cfg-options`` overrides.

    Returns:
        nn.Module: The student in eval mode, SyncBN as BN.

    Raises:
        ValueError: If the checkpoint does not hold exactly the student's
            weights, naming what does not fit.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    student = revert_sync_batchnorm(MODELS.build(student_config(cfg)))
    allow_mmengine_checkpoints()
    state_dict = student_state_dict(read_model_checkpoint(checkpoint))
    check_checkpoint_fits(
        student, state_dict, f'Checkpoint {checkpoint!r} does not fit the '
        f'student of {config!r}', STUDENT_FIX)
    # The fit is checked: strict loading would also refuse a missing
    # BatchNorm counter.
    student.load_state_dict(state_dict, strict=False)
    return student.eval()


class SegmentorForExport(nn.Module):
    """An mmseg segmentor from the preprocessed batch to its score maps.

    Args:
        segmentor (nn.Module): An mmseg ``EncoderDecoder``.
    """

    def __init__(self, segmentor: nn.Module) -> None:
        super().__init__()
        self.model = segmentor

    def output_names(self, inputs: Tensor) -> Tuple[str, ...]:
        """The graph's one output.

        Args:
            inputs (Tensor): An example batch (unused).

        Returns:
            tuple[str]: ``('seg_logits', )``.
        """
        return ('seg_logits', )

    def forward(self, inputs: Tensor) -> Tensor:
        """Score maps at the input's size.

        Args:
            inputs (Tensor): The preprocessed batch, (N, 3, H, W).

        Returns:
            Tensor: (N, C, H, W).
        """
        size = tuple(int(length) for length in inputs.shape[-2:])
        metas = [dict(img_shape=size, pad_shape=size)] * inputs.shape[0]
        return self.model.encode_decode(inputs, metas)


class DetectorForExport(nn.Module):
    """An mmdet single-stage detector from the preprocessed batch to its
    head's raw outputs, level by level.

    Args:
        detector (nn.Module): An mmdet detector whose ``_forward`` returns
            the head's outputs (lists per level).
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.model = detector

    def output_names(self, inputs: Tensor) -> Tuple[str, ...]:
        """``out{i}_level{l}``: output i of the head at level l, in the
        order of :meth:`forward`.

        Args:
            inputs (Tensor): An example batch, run once to count the head's
                outputs and levels.

        Returns:
            tuple[str]: The names.
        """
        with torch.no_grad():
            outputs = self.model._forward(inputs)
        return tuple(f'out{index}_level{level}'
                     for index, levels in enumerate(outputs)
                     for level in range(len(levels)))

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The head's outputs, flattened.

        Args:
            inputs (Tensor): The preprocessed batch, (N, 3, H, W).

        Returns:
            tuple[Tensor]: Every level of the head's first output, then of
            its second, ...
        """
        return tuple(
            tensor for levels in self.model._forward(inputs)
            for tensor in levels)


def for_export(student: nn.Module) -> nn.Module:
    """The student wrapped for export by its task.

    Args:
        student (nn.Module): An mmseg segmentor or an mmdet detector.

    Returns:
        nn.Module: A :class:`SegmentorForExport` or
        :class:`DetectorForExport`, its adaptive pooling made static.

    Raises:
        NotImplementedError: For another kind of model.
    """
    static_adaptive_pools(student)
    if hasattr(student, 'decode_head') and hasattr(student, 'encode_decode'):
        return SegmentorForExport(student).eval()
    if hasattr(student, 'bbox_head'):
        return DetectorForExport(student).eval()
    raise NotImplementedError(
        f'ONNX export takes segmentors (a decode_head) and detectors (a '
        f'bbox_head); the student is a {type(student).__name__}.')


def _model_name(module: nn.Module) -> str:
    """The class of the model an export wrapper holds."""
    return type(getattr(module, 'model', module)).__name__


def _unsupported(error: Exception) -> str:
    """What an exporter error says cannot be written: the operator (and
    the exporter's reason, where it gives one)."""
    text = str(error)
    named = re.search(r"Exporting the operator '([\w:.]+)'", text)
    if named:
        return named.group(1)
    reason = re.search(r'Unsupported: ONNX export of operator ([^.\[]+)', text)
    if reason:
        operator, _, why = reason.group(1).strip().partition(', ')
        return f'{operator} ({why})' if why else operator
    return text.splitlines()[0]


def export_onnx(module: nn.Module,
                inputs: Tensor,
                path: str,
                opset: int = 17) -> Tuple[str, ...]:
    """Write ``module`` (from :func:`for_export`) as an ONNX model.

    Args:
        module (nn.Module): The wrapped student.
        inputs (Tensor): An example batch, (N, 3, H, W); H and W are fixed
            in the graph, N is dynamic.
        path (str): The ``.onnx`` file to write.
        opset (int): The ONNX opset. Defaults to 17.

    Returns:
        tuple[str]: The names of the graph's outputs.

    Raises:
        UnsupportedOperatorError: If the student holds an operation the
            exporter cannot write in ``opset``, or writes only as a custom
            operator (e.g. mmcv's deformable convolution), naming it.
    """
    names = tuple(module.output_names(inputs))
    try:
        torch.onnx.export(
            module, (inputs, ),
            path,
            dynamo=False,
            opset_version=opset,
            input_names=['inputs'],
            output_names=list(names),
            dynamic_axes={name: {
                0: 'batch'
            }
                          for name in ('inputs', *names)})
    except (torch.onnx.errors.UnsupportedOperatorError,
            torch.onnx.errors.SymbolicValueError) as error:
        raise UnsupportedOperatorError(
            f'ONNX opset {opset} cannot express {_unsupported(error)}, which '
            f'the student ({_model_name(module)}) uses, so it cannot be '
            'exported; replace that layer in the student config, or try '
            'another --opset.') from error
    custom = custom_operators(path)
    if custom:
        os.remove(path)
        raise UnsupportedOperatorError(
            f'The student ({_model_name(module)}) uses '
            f'{", ".join(custom)}, which standard ONNX cannot express: the '
            'exporter writes it as a custom operator that onnxruntime runs '
            "only with that library's operators registered (for mmcv's, "
            "mmdeploy's onnxruntime ops). Replace that layer in the student "
            'config to export a plain ONNX model.')
    return names


def custom_operators(path: str) -> List[str]:
    """The operators of an ONNX model outside the standard domains.

    Args:
        path (str): The ``.onnx`` file.

    Returns:
        list[str]: ``domain::type`` of each, sorted, without repeats.
    """
    import onnx
    graph = onnx.load(path, load_external_data=False).graph
    return sorted({
        f'{node.domain}::{node.op_type}'
        for node in graph.node if node.domain not in ONNX_DOMAINS
    })


def onnx_difference(path: str, module: nn.Module,
                    inputs: Tensor) -> Tuple[float, ...]:
    """onnxruntime against PyTorch on one batch.

    Args:
        path (str): The exported model.
        module (nn.Module): What was exported.
        inputs (Tensor): A batch (any batch size).

    Returns:
        tuple[float]: The max absolute difference of each output (inf
        where the shapes differ, nan where either is not finite).

    Raises:
        ValueError: If onnxruntime gives another number of outputs.
    """
    import onnxruntime
    session = onnxruntime.InferenceSession(
        path, providers=['CPUExecutionProvider'])
    outputs = session.run(None, {'inputs': inputs.numpy()})
    with torch.no_grad():
        expected = module(inputs)
    if isinstance(expected, Tensor):
        expected = (expected, )
    if len(outputs) != len(expected):
        raise ValueError(f'{path} gives {len(outputs)} outputs, the student '
                         f'{len(expected)}.')
    return tuple(
        float(np.abs(output - reference.numpy()).max()) if output.shape ==
        tuple(reference.shape) else math.inf
        for output, reference in zip(outputs, expected))


def example_inputs(shape: Sequence[int], batch: int, seed: int = 0) -> Tensor:
    """A preprocessed batch: normal noise, about a normalised image's scale.

    Args:
        shape (Sequence[int]): (H, W).
        batch (int): Images.
        seed (int): Seed of the generator.

    Returns:
        Tensor: Shape (batch, 3, H, W), float32.
    """
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3, *shape, generator=generator)
