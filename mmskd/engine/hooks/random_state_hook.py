# Copyright (c) mmskd contributors. All rights reserved.
"""Random number generator states in checkpoints, for an exact resume."""
import logging
import random
from typing import Any, Callable, Dict, Iterator, Optional

import numpy as np
import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmskd.registry import HOOKS

#: The checkpoint key of the saved states (next to ``meta``, so that a
#: student exported from the checkpoint does not carry them).
CHECKPOINT_KEY = 'random_states'

RandomStates = Dict[str, Any]


def capture_random_states() -> RandomStates:
    """The states of every generator the training process draws from.

    Returns:
        dict: ``python`` (``random``), ``numpy`` (the legacy global
        generator), ``torch`` (the CPU generator) and, once this process
        uses CUDA, ``cuda`` (the generator of its current device: a DDP
        process trains on one device, and reading the others' states would
        open a CUDA context on each of them).
    """
    states = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state()
    return states


def restore_random_states(states: RandomStates) -> None:
    """Set the generators to ``states`` (from :func:`capture_random_states`).

    A ``cuda`` entry goes to the current CUDA device, where CUDA is
    available; without CUDA it is left unused.

    Args:
        states (dict): The saved states.
    """
    random.setstate(states['python'])
    np.random.set_state(states['numpy'])
    # Runner.resume maps the checkpoint to the training device, but the
    # generators only take CPU ByteTensors.
    torch.set_rng_state(states['torch'].cpu())
    if states.get('cuda') is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state(states['cuda'].cpu())


class _RestoreAfterReplay:
    """A train loop's data iterator that restores the random states once
    the loop has replayed the batches trained before the interruption.

    mmengine's ``IterBasedTrainLoop`` skips the trained batches by drawing
    them again (which keeps the sampler's position) after every hook of
    ``before_train_epoch`` ran, and with ``num_workers=0`` those draws run
    the random transforms in this process. Restoring at that point, just
    before the first new batch, gives that batch and the step after it the
    states of the interrupted run. The wrapper then puts the loop's own
    iterator back.
    """

    def __init__(self, loop: Any, replayed: int,
                 restore: Callable[[], None]) -> None:
        self._loop = loop
        self._iterator: Iterator = loop.dataloader_iterator
        self._left = replayed
        self._restore = restore

    def __iter__(self) -> '_RestoreAfterReplay':
        return self

    def __next__(self) -> Any:
        if self._left > 0:
            self._left -= 1
        else:
            self._restore()
            self._loop.dataloader_iterator = self._iterator
        return next(self._iterator)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the random states with each checkpoint; restore them on resume.

    mmengine's ``Runner.resume`` restores weights, optimizers, schedulers
    and the message hub, and reseeds only when the checkpoint's seed
    differs from the config's; the generators' positions are lost, so the
    random crops, dropout masks and gradient-penalty interpolates after a
    resume differ from those of the uninterrupted run. This hook writes the
    states of ``random``, numpy, torch and CUDA (the process's device) into
    the checkpoint (key ``random_states``) and puts them back where the
    interrupted run stood: for an ``IterBasedTrainLoop``, after the loop
    has replayed the batches it already trained (see
    :class:`_RestoreAfterReplay`); otherwise at the start of the first
    resumed epoch.

    Validation draws random numbers too (each pass over a dataloader draws
    its base seed), so the hook also makes validation leave the states as
    it found them: where and how often a run validates does not change its
    training, and the states saved at a checkpoint are those the next
    training step starts from.

    Under DDP the checkpoint, written by rank 0, holds rank 0's states;
    every rank restores them unless ``randomness.diff_rank_seed`` gave the
    ranks different seeds, in which case ranks other than 0 keep their
    freshly seeded states.

    Not restored: the states of dataloader worker processes, which are
    seeded from the run's seed and reach their old states again through the
    replay above, provided the resumed run has the same seed (mmskd's
    ``tools/train.py --resume`` takes it from the checkpoint; otherwise
    this hook warns).
    """

    def __init__(self) -> None:
        self._pending: Optional[RandomStates] = None
        self._before_val: Optional[RandomStates] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Write the states the next training step starts from.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The checkpoint about to be saved.
        """
        # Inside validation (a best checkpoint), training continues with the
        # states validation started from.
        checkpoint[CHECKPOINT_KEY] = self._before_val or \
            capture_random_states()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the saved states of a resumed checkpoint for later.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The loaded checkpoint.
        """
        if not getattr(runner, '_resume', False):
            return  # load_from without resume: a new run, seeded anew
        states = checkpoint.get(CHECKPOINT_KEY)
        if states is None:
            print_log(
                'The resumed checkpoint holds no random states (it was saved '
                'without RandomStateHook): random numbers after the resume '
                'differ from those of the interrupted run.',
                logger='current',
                level=logging.WARNING)
        elif get_rank() == 0 or get_world_size() == 1 or \
                not (runner.cfg.get('randomness') or {}).get('diff_rank_seed'):
            self._pending = states
        _warn_on_other_seed(runner, checkpoint.get('meta', {}).get('seed'))

    def before_train_epoch(self, runner) -> None:
        """Restore the kept states, now or after the loop's replay.

        Args:
            runner (Runner): The runner.
        """
        if self._pending is None:
            return
        loop = runner.train_loop
        # IterBasedTrainLoop replays `iter` batches before its next one.
        if runner.iter > 0 and hasattr(loop, 'dataloader_iterator'):
            loop.dataloader_iterator = _RestoreAfterReplay(
                loop, runner.iter, self._restore_pending)
        else:
            self._restore_pending()

    def before_val(self, runner) -> None:
        """Remember the states validation starts from.

        Args:
            runner (Runner): The runner.
        """
        self._before_val = capture_random_states()

    def after_val(self, runner) -> None:
        """Put back the states validation started from.

        Args:
            runner (Runner): The runner.
        """
        if self._before_val is not None:
            restore_random_states(self._before_val)
            self._before_val = None

    def _restore_pending(self) -> None:
        restore_random_states(self._pending)
        self._pending = None


def _warn_on_other_seed(runner, saved_seed: Optional[int]) -> None:
    """Warn when the training data are drawn with another seed than the
    interrupted run's (the sampler and workers were built before resume)."""
    sampler = getattr(runner.train_dataloader, 'sampler', None)
    seed = getattr(sampler, 'seed', None)
    if saved_seed is None or seed is None or seed == saved_seed:
        return
    print_log(
        f'The resumed run draws its training data with seed {seed}, the '
        f'interrupted run drew them with seed {saved_seed}: the batches after '
        'the resume differ from those the interrupted run would have seen. '
        "Resume with mmskd's tools/train.py --resume (it takes the seed from "
        f'the checkpoint) or set randomness=dict(seed={saved_seed}).',
        logger='current',
        level=logging.WARNING)
