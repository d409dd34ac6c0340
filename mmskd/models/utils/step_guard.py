# Copyright (c) mmskd contributors. All rights reserved.
"""Keep non-finite values out of a model's weights and buffers.

Two ways a training step can carry NaN or inf into a model, and what stops
each:

- **non-finite inputs** (a ``data_preprocessor.std`` with a 0, a corrupt
  image, a float image file holding NaN): :func:`check_finite_inputs` runs
  on the preprocessed batch before any network, so neither the weights nor
  the BatchNorm running statistics see it, and stops the run with the cause
  and the fix;
- **finite inputs, non-finite loss or gradients** (a diverging loss, an
  overflow): :func:`~mmskd.models.utils.guarded_update` drops the update, and
  :class:`StepGuard` puts back the buffers that the step's forward had
  already changed (the BatchNorm running statistics) and stops the run after
  ``max_skipped_steps`` skipped updates in a row.
"""
import logging
from typing import Dict, Iterable, List, Optional, Sequence, Union

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from torch import Tensor, nn

from .updates import guarded_update

Inputs = Union[Tensor, Sequence[Tensor]]

# mmseg's ImageNet std, the value nearly every config of this project uses.
_IMAGENET_STD = '[58.395, 57.12, 57.375]'


def check_finite_inputs(inputs: Inputs,
                        data_samples: Optional[Sequence] = None,
                        data_preprocessor: Optional[nn.Module] = None) -> None:
    """Raise if a preprocessed training batch holds a NaN or an infinity.

    One ``isfinite().all()`` and one host synchronisation per batch; the
    message (which samples, which files, the likely cause) is only worked
    out for a batch that fails.

    Args:
        inputs (Tensor | Sequence[Tensor]): The preprocessed batch, e.g.
            (N, 3, H, W) images or (N, L, 3, H, W) frame sequences.
        data_samples (Sequence, optional): The batch's data samples, whose
            metainfo ``img_path`` (``frame_paths`` for sequences) names the
            files. Defaults to None.
        data_preprocessor (nn.Module, optional): The preprocessor that made
            ``inputs``, checked for a zero ``std``. Defaults to None.

    Raises:
        FloatingPointError: If any input value is not finite.
    """
    finite_here = _all_finite(inputs)
    if _finite_on_every_rank(finite_here, inputs):
        return
    if finite_here:
        raise FloatingPointError(
            'Another process of this run got non-finite training inputs '
            '(its own error names the files); this one stops with it, '
            'before any network ran, so that no process waits for the '
            'others in a collective.')
    # A batch tensor iterates over its samples, as a list of images does.
    bad = _non_finite_files(list(inputs), data_samples)
    raise FloatingPointError(
        f'Non-finite training inputs: {len(bad)} preprocessed image(s) of '
        f'this batch hold NaN or inf ({", ".join(bad)}). The run stops '
        'before any network ran on them, so the weights and the BatchNorm '
        'running statistics are unchanged. ' +
        _likely_cause(data_preprocessor))


def _all_finite(inputs: Inputs) -> bool:
    """Whether every value of a batch tensor or of a list of them is finite.
    """
    if isinstance(inputs, Tensor):
        return bool(inputs.isfinite().all())
    return all(bool(tensor.isfinite().all()) for tensor in inputs)


def _finite_on_every_rank(finite_here: bool, inputs: Inputs) -> bool:
    """Whether every process of the run got finite inputs.

    One all-reduce of one element: a process that stopped alone would leave
    the others waiting in the student's gradient all-reduce until the
    collective timeout (under slurm or mpi, where no agent ends them).
    """
    if get_world_size() == 1:
        return finite_here
    device = inputs.device if isinstance(inputs, Tensor) else inputs[0].device
    flag = torch.tensor([1 if finite_here else 0], device=device)
    all_reduce(flag, op='min')
    return bool(flag.item())


def _non_finite_files(samples: List[Tensor],
                      data_samples: Optional[Sequence]) -> List[str]:
    """The files (or sample indices) of the non-finite images of a batch."""
    files = []
    for index, tensor in enumerate(samples):
        meta = _metainfo(data_samples, index)
        # (L, 3, H, W) is a frame sequence: name its non-finite frames.
        frames = tensor if tensor.dim() == 4 else tensor[None]
        for frame, image in enumerate(frames):
            if bool(image.isfinite().all()):
                continue
            files.append(_file_of(meta, index, frame, len(frames)))
    return files


def _metainfo(data_samples: Optional[Sequence], index: int) -> dict:
    """The metainfo of sample ``index``, or an empty dict."""
    if not data_samples or index >= len(data_samples):
        return dict()
    return getattr(data_samples[index], 'metainfo', None) or dict()


def _file_of(meta: dict, index: int, frame: int, frames: int) -> str:
    """The file of one image of the batch, or where it sits in the batch."""
    paths = meta.get('frame_paths')
    if frames > 1 and paths is not None and frame < len(paths):
        return str(paths[frame])
    if meta.get('img_path'):
        return str(
            meta['img_path']) + (f' (frame {frame})' if frames > 1 else '')
    return f'sample {index}' + (f', frame {frame}' if frames > 1 else '')


def _likely_cause(data_preprocessor: Optional[nn.Module]) -> str:
    """What most likely made the inputs non-finite, and the fix."""
    std = _normalising_std(data_preprocessor)
    if std is not None and (std == 0).any():
        return (f'data_preprocessor.std is {std.tolist()}: normalising '
                'divides by its 0. Give every channel a positive std '
                f'(mmseg\'s ImageNet std is {_IMAGENET_STD}).')
    return ('Likely causes: a corrupt or truncated image, or an image file '
            'holding non-finite values (e.g. a float TIFF); re-encode or '
            'drop the files named above. A data_preprocessor.std containing '
            '0 gives the same error.')


def _normalising_std(
        data_preprocessor: Optional[nn.Module]) -> Optional[Tensor]:
    """The per-channel std the preprocessor divides by, if it normalises."""
    # SequenceDataPreProcessor normalises through its per-frame preprocessor.
    pre = getattr(data_preprocessor, 'frame_preprocessor', data_preprocessor)
    if pre is None or not getattr(pre, '_enable_normalize', False):
        return None
    std = getattr(pre, 'std', None)
    return std.flatten() if isinstance(std, Tensor) else None


class BufferSnapshot:
    """The buffers of some modules, kept to be put back.

    A forward in training mode updates the BatchNorm running statistics
    (``running_mean``, ``running_var``, ``num_batches_tracked``) and other
    running buffers before the update is decided; putting them back undoes
    what a skipped step did to them.

    Args:
        modules (Iterable[nn.Module]): The modules (with their submodules)
            whose buffers to keep.
    """

    def __init__(self, modules: Iterable[nn.Module]) -> None:
        buffers = {
            id(buffer): buffer
            for module in modules
            for buffer in module.buffers()
        }
        self._buffers = list(buffers.values())
        self._saved = [buffer.detach().clone() for buffer in self._buffers]

    def buffers_finite(self) -> bool:
        """Whether every floating-point buffer is finite now.

        Returns:
            bool: False if a kept buffer holds a NaN or an infinity.
        """
        floats = [b for b in self._buffers if b.is_floating_point()]
        if not floats:
            return True
        norms = torch._foreach_norm(floats)
        return bool(torch.stack([n.float() for n in norms]).isfinite().all())

    @torch.no_grad()
    def restore(self) -> None:
        """Put every buffer back to its value at the snapshot."""
        for buffer, saved in zip(self._buffers, self._saved):
            buffer.copy_(saved)


class StepGuard:
    """Skip non-finite updates, undo their buffers and stop a run that keeps
    skipping.

    Per trained part (a name such as ``'student'``), :meth:`begin` keeps the
    part's buffers before its forward and :meth:`update` runs
    :func:`~mmskd.models.utils.guarded_update`. At the end of an accumulation
    window that was skipped, the buffers are put back to the window's
    start, so the running statistics never take in a batch whose update
    was dropped; and when ``max_skipped_steps`` windows of one part in a row
    were skipped the run stops. Consecutive, not total, skips are counted:
    an occasional overflow that the next step recovers from is harmless,
    while a run whose every update is dropped trains nothing.

    The decision is the same on every process (it is taken on averaged
    gradients), so all processes restore and stop alike. Under an enabled
    GradScaler (fp16 AMP) the scaler skips overflowing steps itself and
    lowers its scale, as it is built to; such steps are neither undone nor
    counted here.

    Args:
        max_skipped_steps (int): Stop after this many skipped updates in a
            row of one part. Defaults to 10.
    """

    def __init__(self, max_skipped_steps: int = 10) -> None:
        if not isinstance(max_skipped_steps, int) or max_skipped_steps < 1:
            raise ValueError(
                'max_skipped_steps must be a positive int (the skipped '
                'updates in a row that stop the run), got '
                f'{max_skipped_steps!r}.')
        self.max_skipped_steps = max_skipped_steps
        self.skipped_in_a_row: Dict[str, int] = dict()
        self._snapshots: Dict[str, BufferSnapshot] = dict()

    def begin(self, name: str, modules: Iterable[nn.Module]) -> None:
        """Keep the buffers of a part before its forward.

        Call it before every forward of the part; inside an accumulation
        window only the first call keeps them, which are the ones to put
        back if the window is skipped.

        Args:
            name (str): The part, e.g. ``'student'``.
            modules (Iterable[nn.Module]): The modules whose buffers its
                forward may change (e.g. the student and the connectors).
        """
        if name not in self._snapshots:
            self._snapshots[name] = BufferSnapshot(modules)

    def update(self,
               wrapper: OptimWrapper,
               loss: Tensor,
               name: str,
               manually_synced: Optional[nn.Module] = None) -> bool:
        """:func:`~mmskd.models.utils.guarded_update`, then restore and count.

        Args:
            wrapper (OptimWrapper): The optimizer wrapper of the part.
            loss (Tensor): The scalar loss of this micro-batch.
            name (str): The part, as given to :meth:`begin`.
            manually_synced (nn.Module, optional): Parameters whose
                gradients are averaged by hand. Defaults to None.

        Returns:
            bool: Whether the window ended in a step.

        Raises:
            RuntimeError: When this skip is the ``max_skipped_steps``-th of
                the part in a row.
        """
        stepped = guarded_update(wrapper, loss, manually_synced, name)
        # guarded_update leaves the window's micro-batch count as it was.
        if not wrapper.should_update():
            return stepped
        snapshot = self._snapshots.pop(name, None)
        if stepped and snapshot is not None and \
                not snapshot.buffers_finite():
            # Under an fp16 GradScaler the scaler skips an overflowing step
            # itself, but its forward may already have put inf into the
            # running statistics.
            snapshot.restore()
            print_log(
                f'The {name}\'s buffers (BatchNorm running statistics) '
                'became non-finite in this step and are back to their '
                'values before it.',
                logger='current',
                level=logging.WARNING)
        if stepped:
            self.skipped_in_a_row[name] = 0
            return stepped
        if snapshot is not None:
            snapshot.restore()
        self._count_skip(name)
        return stepped

    def _count_skip(self, name: str) -> None:
        """Count a skipped update of ``name``; raise at the limit."""
        skipped = self.skipped_in_a_row.get(name, 0) + 1
        self.skipped_in_a_row[name] = skipped
        if skipped >= self.max_skipped_steps:
            raise RuntimeError(
                f'Stopped training: the last {skipped} {name} updates were '
                'all skipped because their gradients were not finite '
                f'(model.max_skipped_steps={self.max_skipped_steps}). The '
                'inputs were finite, so the loss or the network diverged: '
                'lower the learning rate, clip the gradients (optim_wrapper.'
                'clip_grad=dict(max_norm=...)), check the loss weights, or '
                'resume from an earlier checkpoint. Raise model.'
                'max_skipped_steps to tolerate longer runs of such steps.')
        print_log(
            f'The {name}\'s buffers (BatchNorm running statistics) are back '
            f'to their values before the skipped update; {skipped} skipped '
            f'{name} update(s) in a row, the run stops at '
            f'{self.max_skipped_steps} (model.max_skipped_steps).',
            logger='current',
            level=logging.WARNING)
