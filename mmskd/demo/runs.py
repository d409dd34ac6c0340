# Copyright (c) mmskd contributors. All rights reserved.
"""The demo's four training runs: their configs, order and command lines.

Every run is ``tools/train.py`` on a config of ``configs/demo/`` as a user
runs it (the teacher's as torchrun with ``--launcher pytorch``); only the
data root, the seed, the teacher checkpoint, the teacher's per-process batch
and the demo's options go in as ``--cfg-options``. The configs and tools are
found under a *root*: the repository of a source checkout, or ``mmskd/.mim``
of an installed wheel (:func:`find_root`).
"""
import glob
import os
import os.path as osp
import shutil
import sys
import warnings
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

from mmskd.registry import MODELS
from mmskd.utils import log_records

# Run key -> (row name in the table, config file in configs/demo/).
RUNS: Dict[str, Tuple[str, str]] = {
    'teacher': ('teacher: PSPNet R-101-D8 at 1/4 width, all labels',
                'pspnet_r101-d8_w16_scenes-128x128.py'),
    'student': ('student: PSPNet R-18-D8 at 1/8 width, few labels',
                'pspnet_r18-d8_w8_scenes-128x128.py'),
    'distilled': ('distilled: the student + PI + PA + HO + CWD',
                  'skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py'),
    'unlabelled': ('distilled + unlabelled: + the other scenes\' images',
                   'skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-unl-'
                   '128x128.py'),
}
# The second phase needs the teacher. Lanes run side by side, a lane's runs
# one after another; the second phase's lanes take about as long (0.45 +
# 0.13 s against 0.55 s an iteration on one core).
PHASES = ((('teacher', ), ), (('distilled', 'student'), ('unlabelled', )))
# The runs that distil from the demo's teacher.
DISTILLED = ('distilled', 'unlabelled')
# The teacher's processes on two or more cores. Its config's batch of 8 is
# split among them: a step's gradient still averages 8 images, BatchNorm
# normalises over each process's 4 (SyncBN is plain BN on CPU).
TEACHER_PROCESSES = 2


def find_root() -> str:
    """Where ``configs/demo`` and ``tools/train.py`` are.

    Returns:
        str: The repository above the ``mmskd`` package if it holds them (a
        source checkout), else ``mmskd/.mim`` (an installed wheel).
    """
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    checkout = osp.dirname(package)
    if osp.isfile(config_path('teacher', checkout)) and osp.isfile(
            osp.join(checkout, 'tools', 'train.py')):
        return checkout
    return osp.join(package, '.mim')


def config_path(key: str, root: Optional[str] = None) -> str:
    """The config file of a run.

    Args:
        key (str): A key of ``RUNS``.
        root (str, optional): See :func:`find_root` (its answer if None).

    Returns:
        str: ``ROOT/configs/demo/<config>``.
    """
    return osp.join(root or find_root(), 'configs', 'demo', RUNS[key][1])


def schedule_of(num_train: int,
                iters: Optional[int] = None,
                teacher_iters: Optional[int] = None,
                num_labelled: Optional[int] = None,
                root: Optional[str] = None) -> Tuple[int, int, int]:
    """Students' and teacher's iterations and the labelled scenes: the
    values given, else the configs'.

    Args:
        num_train (int): The training scenes.
        iters (int, optional): The students' iterations.
        teacher_iters (int, optional): The teacher's iterations.
        num_labelled (int, optional): The scenes whose labels the students
            see.
        root (str, optional): See :func:`find_root`.

    Returns:
        tuple[int, int, int]: ``(iters, teacher_iters, num_labelled)``.

    Raises:
        SystemExit: If the labelled scenes leave no unlabelled ones.
    """
    student = Config.fromfile(config_path('student', root))
    teacher = Config.fromfile(config_path('teacher', root))
    iters, teacher_iters, num_labelled = (
        default if given is None else given for given, default in (
            (iters, student.train_cfg.max_iters),
            (teacher_iters, teacher.train_cfg.max_iters),
            (num_labelled, student.train_dataloader.dataset.indices)))
    if not 0 < num_labelled < num_train:
        raise SystemExit(
            f'--num-labelled {num_labelled} must lie between 0 and '
            f'--num-train {num_train}: the students need labelled '
            'scenes and the unlabelled run the others.')
    return iters, teacher_iters, num_labelled


def plan_phases(cores: int) -> List[List[List[str]]]:
    """The runs' order.

    Args:
        cores (int): The cores the runs may use.

    Returns:
        list: Phases (one after another) of lanes (side by side) of run
        keys: ``PHASES``, or on one core every phase as a single lane.
    """
    if cores >= 2:
        return [[list(lane) for lane in phase] for phase in PHASES]
    return [[[key for lane in phase for key in lane]] for phase in PHASES]


def common_options(key: str, data_root: str, seed: int,
                   iters: Optional[int],
                   num_labelled: Optional[int]) -> Dict[str, object]:
    """The ``--cfg-options`` every run of the demo gets.

    Args:
        key (str): A key of ``RUNS``.
        data_root (str): Where the scenes are.
        seed (int): The runs' seed.
        iters (int, optional): The run's iterations (the config's if None).
        num_labelled (int, optional): The scenes whose labels the students
            see (the config's if None; the teacher sees all).

    Returns:
        dict: Option -> value.
    """
    options: Dict[str, object] = {'randomness.seed': seed}
    train_sets = ['train_dataloader.dataset']
    if key == 'unlabelled':  # labelled scenes + unlabelled images
        train_sets = [f'{train_sets[0]}.datasets.{i}' for i in (0, 1)]
    for prefix in train_sets + ['val_dataloader.dataset',
                                'test_dataloader.dataset']:
        options[f'{prefix}.data_root'] = data_root
    if num_labelled is not None and key != 'teacher':
        options[f'{train_sets[0]}.indices'] = num_labelled
    if iters is not None:
        options.update({
            'train_cfg.max_iters': iters,
            'train_cfg.val_interval': iters,
            'default_hooks.logger.interval': min(iters, 50),
        })
    return options


def copy_unlabelled(data_root: str, num_labelled: int) -> int:
    """Copy the images of the training scenes after the first
    ``num_labelled`` to ``leftImg8bit/unlabelled`` (no labels there).

    Args:
        data_root (str): Where :func:`mmskd.demo.write_scenes` wrote.
        num_labelled (int): The scenes whose labels the students see.

    Returns:
        int: How many images were copied.
    """
    images = sorted(
        glob.glob(osp.join(data_root, 'leftImg8bit', 'train', '*', '*.png')))
    folder = osp.join(data_root, 'leftImg8bit', 'unlabelled', 'city')
    os.makedirs(folder, exist_ok=True)
    for image in images[num_labelled:]:
        shutil.copy(image, folder)
    return len(images[num_labelled:])


def train_command(config: str,
                  work_dir: str,
                  options: Dict[str, object],
                  processes: int = 1,
                  root: Optional[str] = None) -> List[str]:
    """``tools/train.py`` on a config, or what ``tools/dist_train.sh CONFIG
    PROCESSES`` runs for several processes.

    Args:
        config (str): The config file.
        work_dir (str): The run's ``--work-dir``.
        options (dict): Its ``--cfg-options``.
        processes (int): Over 1, torchrun with ``--launcher pytorch``
            (each of ``--standalone``'s runs takes a free port).
        root (str, optional): See :func:`find_root`.

    Returns:
        list[str]: The command line, this interpreter first.
    """
    train = [osp.join(root or find_root(), 'tools', 'train.py'), config]
    if processes > 1:
        train = [
            '-m', 'torch.distributed.run', '--standalone',
            f'--nproc_per_node={processes}', *train, '--launcher', 'pytorch'
        ]
    words = [f'{key}={value}' for key, value in options.items()]
    return [
        sys.executable, *train, '--work-dir', work_dir, '--cfg-options',
        *words
    ]


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint a finished ``tools/train.py`` run saved last.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str: The path its ``last_checkpoint`` file names.
    """
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        return file.read().strip()


def final_miou(work_dir: str) -> float:
    """The mIoU of the last validation a ``tools/train.py`` run logged
    (``train_cfg.val_interval`` is its length: once, at the end).

    Args:
        work_dir (str): The run's work dir.

    Returns:
        float: The mIoU.

    Raises:
        RuntimeError: If the run logged no mIoU.
    """
    return final_metric(work_dir)


def final_metric(work_dir: str,
                 metric: str = 'mIoU',
                 step: Optional[int] = None) -> float:
    """The last value of a metric a ``tools/train.py`` run logged.

    Args:
        work_dir (str): The run's work dir.
        metric (str): The metric's key. Defaults to ``'mIoU'``.
        step (int, optional): Only a validation at this iteration counts
            (e.g. the last one); any if None.

    Returns:
        float: The value.

    Raises:
        RuntimeError: If the run logged no such value.
    """
    values = [
        record[metric] for record in log_records(work_dir)
        if metric in record and step in (None, record.get('step'))
    ]
    if not values:
        at = '' if step is None else f' at iteration {step}'
        raise RuntimeError(
            f'tools/train.py logged no {metric}{at} in {work_dir}')
    return float(values[-1])


def per_process_batch(config: str, processes: int) -> int:
    """A config's training batch split among DDP processes, so that a step
    still averages the config's batch.

    Args:
        config (str): The config file.
        processes (int): The processes.

    Returns:
        int: Each process's batch.
    """
    return Config.fromfile(config).train_dataloader.batch_size // processes


def count_parameters(config: str) -> int:
    """Parameters of the model of a plain mmseg config.

    Args:
        config (str): The config file.

    Returns:
        int: The number of parameters.
    """
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # mmseg's deprecation notes
        model = MODELS.build(dict(cfg_path=config))
    return sum(p.numel() for p in model.parameters())
