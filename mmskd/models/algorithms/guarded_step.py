# Copyright (c) mmskd contributors. All rights reserved.
"""The training step every mmskd algorithm shares: no non-finite value
reaches the weights or the BatchNorm running statistics."""
from typing import Dict, Iterable, Optional, Tuple, Union

from mmengine.optim import OptimWrapper
from torch import Tensor, nn

from ..utils import StepGuard, check_finite_inputs

LossResults = Dict[str, Tensor]


class GuardedStepMixin:
    """Guards for an algorithm's training step.

    - ``forward(mode='loss')`` refuses a batch with non-finite inputs
      before any network runs (:func:`~mmskd.models.utils.
      check_finite_inputs`). It sits in ``forward`` rather than in
      ``train_step`` because a whole-model DDP wrapper
      (``MMDistributedDataParallel``) runs its own ``train_step`` and only
      calls the algorithm's ``forward``.
    - :meth:`guarded_train_step` updates through a :class:`StepGuard`: a
      non-finite update is skipped, the buffers its forward changed are put
      back, and the run stops after ``max_skipped_steps`` skips in a row.
      An algorithm that updates several parts in one step (e.g.
      :class:`HolisticDistill`) calls its two halves,
      :meth:`guarded_losses` and :meth:`guarded_update`, itself.

    The host calls :meth:`init_step_guard` in its ``__init__``.
    """

    def init_step_guard(self, max_skipped_steps: int) -> None:
        """Create the guard of the training steps.

        Args:
            max_skipped_steps (int): Skipped updates in a row of one part
                that stop the run.
        """
        self.step_guard = StepGuard(max_skipped_steps)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """The host's forward; in ``'loss'`` mode only for finite inputs.

        Args:
            inputs (Tensor): The preprocessed batch.
            data_samples (list, optional): Its data samples.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            The host's forward results.

        Raises:
            FloatingPointError: In ``'loss'`` mode, if an input is not
                finite.
        """
        if mode == 'loss':
            check_finite_inputs(inputs, data_samples, self.data_preprocessor)
        return super().forward(inputs, data_samples, mode)

    def guarded_losses(self, data: Union[dict, tuple,
                                         list], optim_wrapper: OptimWrapper, *,
                       trained: Iterable[nn.Module], context: nn.Module,
                       name: str) -> Tuple[dict, LossResults]:
        """Preprocess and compute the losses, keeping the trained buffers.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The optimizer of the update.
            trained (Iterable[nn.Module]): The parts the update trains,
                whose buffers are put back if it is skipped.
            context (nn.Module): The module whose ``optim_context`` to
                enter (the wrapped network, for DDP's ``no_sync``).
            name (str): What is trained, for the warnings.

        Returns:
            tuple[dict, dict]: The preprocessed batch and the losses.
        """
        with optim_wrapper.optim_context(context):
            data = self.data_preprocessor(data, True)
            self.step_guard.begin(name, trained)
            losses = self._run_forward(data, mode='loss')
        return data, losses

    def guarded_update(self, optim_wrapper: OptimWrapper, losses: LossResults,
                       *, synced: Optional[nn.Module],
                       name: str) -> LossResults:
        """Sum the losses and take one guarded update.

        Args:
            optim_wrapper (OptimWrapper): The optimizer of the update.
            losses (dict): The losses, as :meth:`guarded_losses` gave them
                (plus any term added since).
            synced (nn.Module, optional): Parameters averaged by hand.
            name (str): What is trained, as given to
                :meth:`guarded_losses`.

        Returns:
            dict: The log variables.
        """
        loss, log_vars = self.parse_losses(losses)
        self.step_guard.update(optim_wrapper, loss, name, synced)
        return log_vars

    def guarded_train_step(self, data: Union[dict, tuple, list],
                           optim_wrapper: OptimWrapper, *,
                           trained: Iterable[nn.Module], context: nn.Module,
                           synced: Optional[nn.Module],
                           name: str) -> LossResults:
        """Preprocess, compute the losses and take one guarded update.

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapper): The one optimizer.
            trained (Iterable[nn.Module]): The parts the update trains,
                whose buffers are put back if it is skipped.
            context (nn.Module): The module whose ``optim_context`` to
                enter (the wrapped network, for DDP's ``no_sync``).
            synced (nn.Module, optional): Parameters averaged by hand.
            name (str): What is trained, for the warnings.

        Returns:
            dict: The log variables.
        """
        _, losses = self.guarded_losses(
            data, optim_wrapper, trained=trained, context=context, name=name)
        return self.guarded_update(
            optim_wrapper, losses, synced=synced, name=name)
