# Copyright (c) mmskd contributors. All rights reserved.
"""The CPU demo (README's main job): does distillation help a small student?

    python tools/demo.py [--seed S] [--work-dir D] [--iters N]
        [--teacher-iters N] [--num-labelled N] [--num-train N] [--num-val N]
        [--smoke]

1. writes the scenes (``mmskd.datasets.scenes``, deterministic from
   ``--seed``) in the Cityscapes layout and copies the images of those after
   the first ``demo_num_labelled`` to leftImg8bit/unlabelled;
2. trains the teacher on all training scenes with their labels in two DDP
   processes (gloo, 4 images each); then, side by side on one core each,
   the student distilled from it (pixel-wise, pair-wise, holistic and
   channel-wise terms) on the labelled few followed by the student alone on
   them, and the distilled student with the unlabelled images added;
3. prints a Markdown table of the four models' mIoU (each run validates its
   last checkpoint as it ends), the gains and the time, and draws their
   predictions on the first validation scenes into ``predictions.png``.

Every run is ``tools/train.py`` on a config of configs/demo/ as a user runs
it (the teacher's as torchrun with ``--launcher pytorch``), one thread per
process; only the data root, the seed, the teacher checkpoint, the teacher's
per-process batch and the options above go in as ``--cfg-options``. On one
core the runs go one after another, the teacher in one process. The table
also goes to ``WORK_DIR/results.json``, the progress to ``demo.log``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import sys
import time
import warnings
from typing import Dict, List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

CONFIG_DIR = osp.join(ROOT, 'configs', 'demo')
TEACHER = osp.join(CONFIG_DIR, 'pspnet_r101-d8_w16_scenes-128x128.py')
STUDENT = osp.join(CONFIG_DIR, 'pspnet_r18-d8_w8_scenes-128x128.py')
DISTILL = osp.join(CONFIG_DIR,
                   'skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py')
DISTILL_UNL = osp.join(
    CONFIG_DIR, 'skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-unl-128x128.py')
# Row name, config, work-dir name.
RUNS = (
    ('teacher: PSPNet R-101-D8 at 1/4 width, all labels', TEACHER, 'teacher'),
    ('student: PSPNet R-18-D8 at 1/8 width, few labels', STUDENT, 'student'),
    ('distilled: the student + PI + PA + HO + CWD', DISTILL, 'distilled'),
    ('distilled + unlabelled: + the other scenes\' images', DISTILL_UNL,
     'unlabelled'),
)
# The second phase needs the teacher. Lanes run side by side, a lane's runs
# one after another; the second phase's lanes take about as long (0.45 +
# 0.13 s against 0.55 s an iteration on one core).
PHASES = ((('teacher', ), ), (('distilled', 'student'), ('unlabelled', )))
# The teacher's processes on two or more cores. Its config's batch of 8 is
# split among them: a step's gradient still averages 8 images, BatchNorm
# normalises over each process's 4 (SyncBN is plain BN on CPU).
TEACHER_PROCESSES = 2
LOGGER = 'mmskd_demo'
FIGURE_SCENES = 4  # validation scenes in predictions.png


def log(message: str) -> None:
    """One progress message through the demo's mmengine logger."""
    from mmengine.logging import MMLogger
    MMLogger.get_instance(LOGGER).info(message)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    integer_options = (
        ('--seed', 0, 'seed of the dataset and of the runs'),
        ('--iters', None, 'training iterations of each student run (the '
         'configs\' demo_iters if not given; 400 is the longer schedule)'),
        ('--teacher-iters', None, 'training iterations of the teacher (the '
         'configs\' demo_teacher_iters if not given)'),
        ('--num-train', 500, 'generated training scenes'),
        ('--num-val', 100, 'generated validation scenes'),
        ('--num-labelled', None, 'training scenes whose labels the students '
         'see (the configs\' demo_num_labelled if not given); the teacher '
         'sees all'),
    )
    for flag, default, text in integer_options:
        parser.add_argument(
            flag, type=int, default=default,
            help=text if default is None else f'{text} (default: {default})')
    parser.add_argument(
        '--work-dir',
        help='where data, logs and checkpoints go '
        '(default: work_dirs/demo_seed<SEED>)')
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='a check that everything runs, in about a minute: 2 '
        'iterations, 8 training scenes (4 labelled) and 4 validation '
        'scenes (the numbers mean nothing)')
    args = parser.parse_args()
    if args.smoke:
        args.iters, args.teacher_iters = 2, 2
        args.num_train, args.num_val = 8, 4
        args.num_labelled = 4
    if args.work_dir is None:
        name = 'demo_smoke' if args.smoke else f'demo_seed{args.seed}'
        args.work_dir = osp.join('work_dirs', name)
    args.work_dir = osp.abspath(args.work_dir)
    return args


def schedule_of(args: argparse.Namespace) -> Tuple[int, int, int]:
    """Students' and teacher's iterations and the labelled scenes: the
    options given, else the configs'.

    Raises:
        SystemExit: If the labelled scenes leave no unlabelled ones.
    """
    from mmengine.config import Config
    student, teacher = Config.fromfile(STUDENT), Config.fromfile(TEACHER)
    iters, teacher_iters, num_labelled = (
        default if given is None else given for given, default in (
            (args.iters, student.train_cfg.max_iters),
            (args.teacher_iters, teacher.train_cfg.max_iters),
            (args.num_labelled, student.train_dataloader.dataset.indices)))
    if not 0 < num_labelled < args.num_train:
        raise SystemExit(
            f'--num-labelled {num_labelled} must lie between 0 and '
            f'--num-train {args.num_train}: the students need labelled '
            'scenes and the unlabelled run the others.')
    return iters, teacher_iters, num_labelled


def plan_phases(cores: int) -> List[List[List[str]]]:
    """The runs' order: phases one after another, their lanes side by side
    (``PHASES``), or on one core every phase as a single lane."""
    if cores >= 2:
        return [[list(lane) for lane in phase] for phase in PHASES]
    return [[[key for lane in phase for key in lane]] for phase in PHASES]


def common_options(config: str, data_root: str, seed: int,
                   iters: Optional[int],
                   num_labelled: Optional[int]) -> Dict[str, object]:
    """The ``--cfg-options`` a run of the demo gets."""
    options: Dict[str, object] = {'randomness.seed': seed}
    train_sets = ['train_dataloader.dataset']
    if config == DISTILL_UNL:  # labelled scenes + unlabelled images
        train_sets = [f'{train_sets[0]}.datasets.{i}' for i in (0, 1)]
    for prefix in train_sets + ['val_dataloader.dataset',
                                'test_dataloader.dataset']:
        options[f'{prefix}.data_root'] = data_root
    if num_labelled is not None and config != TEACHER:
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


def cli(options: Dict[str, object]) -> List[str]:
    words = [f'{key}={value}' for key, value in options.items()]
    return ['--cfg-options', *words]


def train_command(config: str, work_dir: str, options: Dict[str, object],
                  processes: int = 1) -> List[str]:
    """``tools/train.py`` on a config, or what ``tools/dist_train.sh CONFIG
    PROCESSES`` runs (torchrun, ``--launcher pytorch``) for several
    processes (each of ``--standalone``'s runs takes a free port)."""
    train = [osp.join(ROOT, 'tools', 'train.py'), config]
    if processes > 1:
        train = [
            '-m', 'torch.distributed.run', '--standalone',
            f'--nproc_per_node={processes}', *train, '--launcher', 'pytorch'
        ]
    return [sys.executable, *train, '--work-dir', work_dir, *cli(options)]


def show_progress(tag: str, line: str) -> None:
    """Log a run's progress line, shortened (other lines are skipped)."""
    from mmskd.utils import short_progress
    progress = short_progress(line)
    if progress:
        log(f'{tag:10s} {progress}')


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint a finished ``tools/train.py`` run saved last."""
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        return file.read().strip()


def final_miou(work_dir: str) -> float:
    """The mIoU of the last validation a ``tools/train.py`` run logged
    (``train_cfg.val_interval`` is its length: once, at the end)."""
    from mmskd.utils import log_records
    metrics = [record for record in log_records(work_dir) if 'mIoU' in record]
    if not metrics:
        raise RuntimeError(f'tools/train.py logged no mIoU in {work_dir}')
    return float(metrics[-1]['mIoU'])


def count_parameters(config: str) -> int:
    """Parameters of the model of a plain mmseg config."""
    import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
    from mmskd.models.utils import build_architecture
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # mmseg's deprecation notes
        model = build_architecture(dict(cfg_path=config))
    return sum(p.numel() for p in model.parameters())


def draw_predictions(work_dir: str, data_root: str,
                     checkpoints: Dict[str, str]) -> str:
    """The models' labels on the first validation scenes, as a PNG."""
    from mmseg.datasets import CityscapesDataset

    from mmskd.visualization import init_model, save_prediction_grid
    dataset = CityscapesDataset(
        data_root=data_root,
        data_prefix=dict(
            img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=[],
        lazy_init=False)
    count = min(FIGURE_SCENES, len(dataset))
    infos = [dataset.get_data_info(i) for i in range(count)]
    path = osp.join(work_dir, 'predictions.png')
    save_prediction_grid(
        {key: init_model(config, checkpoints[key])
         for _, config, key in RUNS}, [info['img_path'] for info in infos],
        path, [info['seg_map_path'] for info in infos], dataset.metainfo)
    return path


def format_table(rows: List[dict]) -> str:
    """The Markdown table of the models' parameters and mIoU."""
    lines = ['| model | params | mIoU |', '| --- | ---: | ---: |']
    for row in rows:
        lines.append(f'| {row["model"]} | {row["params"] / 1e6:.2f}M '
                     f'| {row["mIoU"]:.2f} |')
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    start = time.time()
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    from mmskd.datasets import write_scenes
    from mmskd.utils import Job, available_cores, run_jobs

    # Start afresh: files of an earlier run (e.g. more scenes) would mix in.
    for name in ('data', *(key for _, _, key in RUNS)):
        shutil.rmtree(osp.join(args.work_dir, name), ignore_errors=True)
    os.makedirs(args.work_dir, exist_ok=True)
    MMLogger.get_instance(LOGGER, logger_name=LOGGER, file_mode='w',
                          log_file=osp.join(args.work_dir, 'demo.log'))
    iters, teacher_iters, num_labelled = schedule_of(args)
    data_root = write_scenes(
        osp.join(args.work_dir, 'data'),
        seed=args.seed,
        num_train=args.num_train,
        num_val=args.num_val,
        progress=True)
    num_unlabelled = copy_unlabelled(data_root, num_labelled)
    log(f'Wrote {args.num_train} + {args.num_val} scenes (seed {args.seed})'
        f' to {data_root}; the students see the labels of the first '
        f'{num_labelled}, the images of the other {num_unlabelled} are '
        'also in leftImg8bit/unlabelled')
    cores = available_cores()
    teacher_processes = TEACHER_PROCESSES if cores >= 2 else 1
    teacher_batch = Config.fromfile(TEACHER).train_dataloader.batch_size

    def train_job(key: str, config: str) -> 'Job':
        teacher = config == TEACHER
        options = common_options(config, data_root, args.seed,
                                 args.teacher_iters if teacher else args.iters,
                                 args.num_labelled)
        processes = teacher_processes if teacher else 1
        if processes > 1:
            options['train_dataloader.batch_size'] = teacher_batch // processes
        if config in (DISTILL, DISTILL_UNL):
            options['model.teacher_ckpt'] = checkpoints['teacher']
        command = train_command(config, osp.join(args.work_dir, key),
                                options, processes)
        log(f'train {key}: ' +
            ' '.join(command[1:]).replace(ROOT + os.sep, ''))
        # One thread per process, whatever the machine: the same seed gives
        # the same numbers (mmengine's deterministic=True fixes the rest).
        return Job(key, command, osp.join(args.work_dir, f'train_{key}.log'),
                   threads=1, report=show_progress, cwd=ROOT)

    configs = {key: config for _, config, key in RUNS}
    checkpoints: Dict[str, str] = {}
    seconds: Dict[str, float] = {}
    for phase in plan_phases(cores):
        lanes = [[train_job(key, configs[key]) for key in lane]
                 for lane in phase]
        run_jobs(lanes)
        for each in (job for lane in lanes for job in lane):
            checkpoints[each.tag] = last_checkpoint(
                osp.join(args.work_dir, each.tag))
            seconds[f'train {each.tag}'] = each.seconds

    rows = []
    for name, config, key in RUNS:
        rows.append(
            dict(
                model=name,
                key=key,
                config=osp.relpath(config, ROOT),
                checkpoint=checkpoints[key],
                params=count_parameters(
                    TEACHER if key == 'teacher' else STUDENT),
                mIoU=final_miou(osp.join(args.work_dir, key))))
    log(f'Drawing the predictions on {FIGURE_SCENES} validation scenes ...')
    figure = draw_predictions(args.work_dir, data_root, checkpoints)

    total = time.time() - start
    miou = {row['key']: row['mIoU'] for row in rows}
    gains = {
        key: miou[key] - miou['student']
        for key in ('distilled', 'unlabelled')
    }
    gap = miou['teacher'] - miou['student']
    print()
    print(f'Seed {args.seed}, {iters} iterations ({teacher_iters} for the '
          f'teacher), {args.num_train} '
          f'training scenes ({num_labelled} with labels for the students) '
          f'and {args.num_val} validation scenes; mIoU on the validation '
          'scenes:')
    print()
    print(format_table(rows))
    print()
    print(f'Distillation gain: {gains["distilled"]:+.2f} mIoU (distilled - '
          f'student); with unlabelled images: {gains["unlabelled"]:+.2f} '
          f'(teacher - student: {gap:+.2f}).')
    print('Time: ' + ', '.join(f'{name} {value:.0f}s'
                               for name, value in seconds.items()) +
          f'; total {total / 60:.1f} min.')
    print(f'Predictions (image, ground truth, teacher, student, distilled, '
          f'distilled + unlabelled) on {FIGURE_SCENES} validation scenes: '
          f'{figure}')
    print(f'Logs, checkpoints and data: {args.work_dir}')
    with open(osp.join(args.work_dir, 'results.json'), 'w') as file:
        json.dump(
            dict(
                seed=args.seed,
                iters=iters,
                teacher_iters=teacher_iters,
                num_train=args.num_train,
                num_labelled=num_labelled,
                num_val=args.num_val,
                rows=rows,
                gain=gains['distilled'],
                gain_unlabelled=gains['unlabelled'],
                predictions=figure,
                seconds=dict(seconds, total=total)),
            file,
            indent=2)


if __name__ == '__main__':
    main()
