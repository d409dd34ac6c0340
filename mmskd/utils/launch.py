# Copyright (c) mmskd contributors. All rights reserved.
"""Launch helpers shared by ``tools/train.py`` and ``tools/test.py``."""
import datetime
import faulthandler
import logging
import os
import os.path as osp
import sys
import threading
from typing import Any, List, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import MODEL_WRAPPERS
from mmengine.utils import digit_version
from torch.nn.parallel import DistributedDataParallel

#: Seconds a collective of a CPU (gloo) distributed run waits for the other
#: ranks when ``env_cfg.dist_cfg.timeout`` is unset: long enough for a rank
#: saving a checkpoint or validating a larger share, far below gloo's 30
#: minutes of a hung run.
CPU_COLLECTIVE_TIMEOUT = 600
#: Seconds :func:`finish_distributed` gives the ranks to leave together.
FINISH_TIMEOUT = 60.0


def load_config(config: str,
                cfg_options: Optional[dict] = None,
                launcher: str = 'none',
                work_dir: Optional[str] = None) -> Config:
    """Load a config the way the mm ``tools/{train,test}.py`` scripts do.

    Args:
        config (str): Path of the config file.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        launcher (str): The ``--launcher`` argument. Defaults to 'none'.
        work_dir (str, optional): ``--work-dir``; otherwise the config's
            ``work_dir``, otherwise ``./work_dirs/<config name>``.

    Returns:
        Config: The loaded config.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    carry_find_unused_parameters(cfg)
    return cfg


def carry_find_unused_parameters(cfg: Config) -> None:
    """Give the config's ``model_wrapper_cfg`` its ``find_unused_parameters``.

    mmengine reads the top-level ``find_unused_parameters`` only for its
    default wrapper; every mmskd distillation config names its wrapper
    (``configs/_base_/methods/separate_ddp.py``), where the key would be
    ignored without a word. A value the wrapper config sets itself wins.

    Args:
        cfg (Config): The config, modified in place.
    """
    wrapper = cfg.get('model_wrapper_cfg')
    if isinstance(wrapper, dict) and 'find_unused_parameters' in cfg:
        wrapper.setdefault('find_unused_parameters',
                           cfg.find_unused_parameters)


def allow_mmengine_checkpoints() -> bool:
    """Let ``--resume``/``load_from`` read mmengine checkpoints on torch>=2.6.

    torch 2.6 made ``torch.load`` default to ``weights_only=True``. mmengine
    0.10.7 calls ``torch.load`` without the argument, and its checkpoints
    hold the message hub's ``HistoryBuffer`` and numpy arrays, which the
    weights-only unpickler rejects (allow-listing them would mean allowing
    ``builtins.getattr``, i.e. everything). Training entry points therefore
    restore torch's pre-2.6 default through its documented switch, as the
    checkpoints they load are the user's own. Drop this once mmengine passes
    ``weights_only`` itself.

    Returns:
        bool: True if the switch was set here.
    """
    if digit_version(torch.__version__) < digit_version('2.6.0'):
        return False
    if 'TORCH_FORCE_WEIGHTS_ONLY_LOAD' in os.environ:
        return False  # the user asked for weights-only loading explicitly
    os.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    return True


def replace_sync_bn(node: Any) -> int:
    """Turn every ``norm_cfg`` of type SyncBN into BN, in place.

    Args:
        node (Any): A config (dict, list or tuple), searched recursively.

    Returns:
        int: How many norm configs were changed.
    """
    changed = 0
    if isinstance(node, dict):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
            changed += 1
        for value in node.values():
            changed += replace_sync_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            changed += replace_sync_bn(value)
    return changed


def expand_model_references(node: Any) -> Any:
    """Replace every ``dict(cfg_path=...)`` below ``node`` by its model config.

    Needed before editing settings (such as norm layers) that live inside
    the referenced model-zoo configs rather than in the config at hand.
    """
    from mmskd.models.utils import load_model_cfg
    if isinstance(node, dict):
        if 'cfg_path' in node:
            return load_model_cfg(node)
        for key, value in node.items():
            node[key] = expand_model_references(value)
    elif isinstance(node, list):
        return [expand_model_references(value) for value in node]
    return node


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Prepare a ``--launcher pytorch`` run on machines without CUDA.

    mmengine's pytorch launcher calls ``torch.cuda.set_device``, which raises
    on CPU-only torch, but the Runner skips its own ``init_dist`` when a
    process group exists, so we create a gloo group first, whose collectives
    give up after ``env_cfg.dist_cfg.timeout`` seconds (mmengine's key;
    :data:`CPU_COLLECTIVE_TIMEOUT` if unset) rather than gloo's 30 minutes:
    a rank waiting for one that died fails with a message naming the
    operation. DDP refuses SyncBatchNorm on CPU modules, so SyncBN configs
    become BN, whose statistics :class:`SyncNormBuffersHook` keeps equal on
    every rank, and the DDP wrapper gets ``device_ids=None`` as CPU modules
    require. Nothing changes when CUDA is available or the run is not
    distributed.

    Args:
        cfg (Config): The config, modified in place.
        launcher (str): The ``--launcher`` argument.

    Returns:
        bool: True if the run was set up for CPU distributed training.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return False
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}), backend='gloo')
    dist_cfg.setdefault('timeout', CPU_COLLECTIVE_TIMEOUT)
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            timeout=datetime.timedelta(seconds=dist_cfg['timeout']))
    cfg.model = expand_model_references(cfg.model)
    changed = replace_sync_bn(cfg._cfg_dict)
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    # mmengine gives every DDP-derived wrapper device_ids=[LOCAL_RANK], which
    # DDP rejects for CPU modules.
    wrapper_type = MODEL_WRAPPERS.get(
        wrapper.get('type', 'MMDistributedDataParallel'))
    if isinstance(wrapper_type, type) and issubclass(wrapper_type,
                                                     DistributedDataParallel):
        wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    cfg.env_cfg = dict(cfg.get('env_cfg', {}), dist_cfg=dist_cfg)
    add_sync_norm_buffers_hook(cfg)
    print_log(
        f'CPU distributed run (rank {os.environ.get("RANK")}): gloo backend, '
        f'{changed} SyncBN configs reverted to BN, their statistics averaged '
        f'across ranks after every iteration; collectives time out after '
        f'{dist_cfg["timeout"]} s.',
        logger='current',
        level=logging.INFO)
    return True


def add_sync_norm_buffers_hook(cfg: Config) -> None:
    """Add :class:`SyncNormBuffersHook` to ``cfg.custom_hooks`` once.

    Args:
        cfg (Config): The config, modified in place.
    """
    # Imported here: mmskd.engine imports mmskd.registry, which imports
    # mmskd.utils at module level.
    from mmskd.engine.hooks import SyncNormBuffersHook
    hook_type = f'mmskd.{SyncNormBuffersHook.__name__}'
    hooks = list(cfg.get('custom_hooks') or [])
    if all(hook.get('type') != hook_type for hook in hooks):
        hooks.append(dict(type=hook_type))
    cfg.custom_hooks = hooks


def optim_wrapper_entries(optim_wrapper: dict) -> List[dict]:
    """The optimizer-wrapper configs in an ``optim_wrapper`` config.

    Args:
        optim_wrapper (dict): One wrapper config, or per-module wrapper
            configs beside a ``constructor`` (e.g. the student's and the
            discriminator's of ``AdversarialOptimWrapperConstructor``).

    Returns:
        list[dict]: The wrapper configs themselves (not copies).
    """
    if 'type' in optim_wrapper or 'optimizer' in optim_wrapper:
        return [optim_wrapper]
    return [
        value for key, value in optim_wrapper.items()
        if isinstance(value, dict) and key != 'constructor'
    ]


def finish_distributed(timeout: float = FINISH_TIMEOUT) -> None:
    """Destroy the default process group, all ranks together, if one exists,
    within ``timeout`` seconds.

    Call it when a run has finished and written its outputs. A process that
    exits with its gloo group alive can abort in the group's teardown
    ("terminate called without an active exception", seen in about one of
    four 2-process CPU runs), and torch warns that
    ``destroy_process_group()`` was not called; the barrier keeps one rank
    from tearing down while another still communicates.

    The teardown itself can hang too (a rank of a 2-process run that had
    written its result, left waiting in gloo), and torchrun then waits for
    that rank forever. So the ranks leave in a thread: if it has not
    returned after ``timeout`` seconds, the process exits at once with
    status 0, since the run is done and its outputs are written (a rank that
    failed reports its own status to the launcher). Should the hang hold the
    interpreter lock, so that not even that can run, faulthandler's watchdog,
    which needs no lock, prints every thread's stack and exits with status 1
    after twice ``timeout``.

    Args:
        timeout (float): Seconds the ranks get to leave together.
            Defaults to :data:`FINISH_TIMEOUT`.

    What the barrier or the teardown raises in time (e.g. a peer that left
    first closed its connection) is logged as a warning: the run is done,
    and a late rank must not turn it into a failure.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    errors: List[BaseException] = []
    leaving = threading.Thread(
        target=_leave_group,
        args=(errors, ),
        name='finish_distributed',
        daemon=True)
    faulthandler.dump_traceback_later(2 * timeout, exit=True)
    try:
        leaving.start()
        leaving.join(timeout)
    finally:
        faulthandler.cancel_dump_traceback_later()
    if leaving.is_alive():
        _exit_done(f'The process group was not torn down within {timeout} s '
                   '(a rank hung in gloo); exiting without it, as the run '
                   'is done and its outputs are written.')
    if errors:
        print_log(
            f'Leaving the process group failed ({errors[0]!r}); the run is '
            'done and its outputs are written.',
            logger='current',
            level=logging.WARNING)


def end_distributed_run(timeout: float = FINISH_TIMEOUT) -> None:
    """End a finished tool run: leave the process group
    (:func:`finish_distributed`) and, if there was one, exit at once with
    status 0.

    The last line of ``tools/train.py`` and ``tools/test.py``. Leaving the
    group is not the end of gloo: objects that still hold it, such as DDP's
    reducer, are destroyed in the interpreter's teardown, and that teardown
    aborted a finished 2-process CPU run now and then ("terminate called
    without an active exception", status -6, after its last validation
    was logged), failing a run whose outputs were all written. Exiting at
    once skips it; the runner has closed its logs and visualizer backends
    by then. A run without a process group returns as usual.

    Args:
        timeout (float): Seconds the ranks get to leave together.
            Defaults to :data:`FINISH_TIMEOUT`.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    finish_distributed(timeout)
    _exit_now()


def _leave_group(errors: List[BaseException]) -> None:
    """Barrier, then destroy the default group; what either raises goes to
    ``errors`` for the calling thread to report."""
    try:
        try:
            dist.barrier()
        finally:
            dist.destroy_process_group()
    except BaseException as error:  # reported by finish_distributed
        errors.append(error)


def _exit_done(message: str) -> None:
    """Log ``message``, flush every output and exit with status 0 at once,
    skipping the interpreter's teardown (which would wait for the hung
    thread's group)."""
    print_log(message, logger='current', level=logging.WARNING)
    _exit_now()


def _exit_now() -> None:
    """Flush every output and exit with status 0, skipping the
    interpreter's teardown."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(0)


def enable_amp(cfg: Config) -> None:
    """Switch every optimizer wrapper of ``cfg`` to ``AmpOptimWrapper``.

    Handles a single wrapper and the per-module wrappers of the adversarial
    constructor (student and discriminator), each getting its own dynamic loss
    scale. Without CUDA, ``mmskd.CPUAmpOptimWrapper`` (bfloat16 autocast)
    is used, as mmengine's wrapper needs a GPU.

    Args:
        cfg (Config): The config, modified in place.
    """
    wrappers = optim_wrapper_entries(cfg.optim_wrapper)
    amp_type = 'AmpOptimWrapper' if torch.cuda.is_available() \
        else 'mmskd.CPUAmpOptimWrapper'
    for wrapper in wrappers:
        if wrapper.get('type',
                       'OptimWrapper') in ('AmpOptimWrapper', amp_type):
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
            continue
        if wrapper.get('type', 'OptimWrapper') != 'OptimWrapper':
            raise ValueError(
                '`--amp` needs `OptimWrapper` optimizer wrappers, but got '
                f'{wrapper.get("type")}.')
        wrapper['type'] = amp_type
        wrapper['loss_scale'] = 'dynamic'
