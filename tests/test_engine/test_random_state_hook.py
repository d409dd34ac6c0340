# Copyright (c) mmskd contributors. All rights reserved.
"""RandomStateHook's parts; the exact resume itself is tested in
test_holistic_training.py::test_resume_continues_exactly."""
import random
from types import SimpleNamespace
from unittest import mock

import numpy as np
import torch

from mmskd.engine import (RandomStateHook, capture_random_states,
                          restore_random_states)

HOOK = 'mmskd.engine.hooks.random_state_hook.'


def draws() -> tuple:
    return (random.random(), float(np.random.rand()), torch.rand(1).item())


def test_restored_states_repeat_the_draws():
    states = capture_random_states()
    first = draws()
    draws()
    restore_random_states(states)
    assert draws() == first


def test_validation_leaves_the_states_as_it_found_them():
    hook = RandomStateHook()
    hook.before_val(None)
    expected = capture_random_states()
    draws()  # e.g. each pass over the val dataloader draws a base seed
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)  # a best checkpoint
    hook.after_val(None)
    after_val = draws()
    restore_random_states(expected)
    assert draws() == after_val
    restore_random_states(checkpoint['random_states'])
    assert draws() == after_val


class Loop:
    """What the hook uses of mmengine's IterBasedTrainLoop."""

    def __init__(self):
        self.dataloader_iterator = iter(range(100))


def runner(iteration: int, resume: bool = True, seed: int = 0):
    loop = Loop()
    return SimpleNamespace(
        _resume=resume,
        iter=iteration,
        train_loop=loop,
        cfg={},
        train_dataloader=SimpleNamespace(sampler=SimpleNamespace(seed=seed)))


def test_states_are_restored_after_the_replayed_batches():
    hook = RandomStateHook()
    saved = capture_random_states()
    expected = draws()
    run = runner(iteration=2)
    hook.after_load_checkpoint(run,
                               dict(random_states=saved, meta=dict(seed=0)))
    hook.before_train_epoch(run)
    loop = run.train_loop
    for _ in range(2):  # the loop's replay of the trained batches
        next(loop.dataloader_iterator)
        draws()  # their transforms
    assert next(loop.dataloader_iterator) == 2  # the first new batch
    assert draws() == expected
    assert isinstance(loop.dataloader_iterator, type(iter(range(1))))


def test_plain_load_from_restores_nothing_and_warnings_name_the_fix():
    hook = RandomStateHook()
    run = runner(iteration=0, resume=False)
    hook.after_load_checkpoint(run, dict(random_states=object()))
    hook.before_train_epoch(run)  # nothing pending: nothing restored
    with mock.patch(HOOK + 'print_log') as print_log:
        hook.after_load_checkpoint(
            runner(iteration=3, seed=11), dict(meta=dict(seed=42)))
    no_states, other_seed = (call.args[0] for call in print_log.call_args_list)
    assert 'holds no random states' in no_states
    assert 'seed 11' in other_seed and 'seed 42' in other_seed
    assert 'randomness=dict(seed=42)' in other_seed


def test_cuda_state_of_the_current_device_is_saved_and_restored():
    """No GPU here: torch.cuda stands in, to run the CUDA branch."""
    state = torch.arange(16, dtype=torch.uint8)
    with mock.patch.multiple(
            torch.cuda,
            is_available=mock.DEFAULT,
            is_initialized=mock.DEFAULT,
            get_rng_state=mock.DEFAULT,
            set_rng_state=mock.DEFAULT) as cuda:
        cuda['is_available'].return_value = True
        cuda['is_initialized'].return_value = True
        cuda['get_rng_state'].return_value = state
        states = capture_random_states()
        assert states['cuda'] is state
        restore_random_states(states)
    restored, = cuda['set_rng_state'].call_args.args
    assert torch.equal(restored, state) and restored.device.type == 'cpu'
