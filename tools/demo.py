# Copyright (c) mmskd contributors. All rights reserved.
"""The CPU demo (README's main job): does distillation help a small student?

    python tools/demo.py [--seed S] [--work-dir D] [--iters N]

1. writes the scenes dataset (``mmskd.datasets.scenes``, deterministic
   from ``--seed``) in the Cityscapes layout;
2. trains the teacher (configs/demo/pspnet_r101-d8_w16_scenes-128x128.py),
3. the student alone (configs/demo/pspnet_r18-d8_w8_scenes-128x128.py) and
4. the same student distilled from that teacher with pixel-wise, pair-wise,
   holistic and channel-wise terms
   (configs/demo/skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py),
   with the same schedule, seed and data as 3;
5. evaluates the three final checkpoints with ``tools/test.py`` and prints
   a Markdown table of their mIoU, the gain of distillation and the time;
6. draws the three models' predictions on the first validation scenes
   (``mmskd.visualization``) into ``WORK_DIR/predictions.png``.

Every run is ``tools/train.py`` / ``tools/test.py`` on those configs as a
user runs them; only the data root, the seed (``randomness.seed``), the
teacher checkpoint and, with ``--iters``, the schedule length are passed as
``--cfg-options``. The table is also written to ``WORK_DIR/results.json``,
the progress messages (mmengine's logger) to ``WORK_DIR/demo.log``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time
import warnings
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

CONFIG_DIR = osp.join(ROOT, 'configs', 'demo')
TEACHER = osp.join(CONFIG_DIR, 'pspnet_r101-d8_w16_scenes-128x128.py')
STUDENT = osp.join(CONFIG_DIR, 'pspnet_r18-d8_w8_scenes-128x128.py')
DISTILL = osp.join(CONFIG_DIR,
                   'skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py')
# Row name, config, work-dir name.
RUNS = (
    ('teacher: PSPNet R-101-D8 at 1/4 width', TEACHER, 'teacher'),
    ('student: PSPNet R-18-D8 at 1/8 width', STUDENT, 'student'),
    ('distilled: the student + PI + PA + HO + CWD', DISTILL, 'distilled'),
)
# mmengine's progress lines, shown (shortened) while the runs go on.
PROGRESS = re.compile(r'Iter\((train|val|test)\) \[\s*\d+/\d+\]')
FIELD = re.compile(r'([\w.]+): (\S+)')
SHOWN_FIELDS = ('eta', 'loss', 'mIoU')
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
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the dataset and of the three runs (default: 0)')
    parser.add_argument(
        '--work-dir',
        help='where data, logs and checkpoints go '
        '(default: work_dirs/demo_seed<SEED>)')
    parser.add_argument(
        '--iters',
        type=int,
        help='training iterations of each run (default: the configs\' '
        'demo_iters)')
    parser.add_argument(
        '--num-train',
        type=int,
        default=500,
        help='generated training images (default: %(default)s)')
    parser.add_argument(
        '--num-val',
        type=int,
        default=100,
        help='generated validation images (default: %(default)s)')
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='a check that everything runs, in well under a minute: '
        '2 iterations, 8 training and 4 validation images (the numbers '
        'mean nothing)')
    args = parser.parse_args()
    if args.smoke:
        args.iters, args.num_train, args.num_val = 2, 8, 4
    if args.work_dir is None:
        name = 'demo_smoke' if args.smoke else f'demo_seed{args.seed}'
        args.work_dir = osp.join('work_dirs', name)
    args.work_dir = osp.abspath(args.work_dir)
    return args


def common_options(data_root: str, seed: int,
                   iters: Optional[int]) -> Dict[str, object]:
    """The ``--cfg-options`` every run of the demo gets."""
    options: Dict[str, object] = {'randomness.seed': seed}
    for loader in ('train', 'val', 'test'):
        options[f'{loader}_dataloader.dataset.data_root'] = data_root
    if iters is not None:
        options.update({
            'train_cfg.max_iters': iters,
            'train_cfg.val_interval': iters,
            'default_hooks.checkpoint.interval': iters,
            'default_hooks.logger.interval': min(iters, 50),
        })
    return options


def cli(options: Dict[str, object]) -> List[str]:
    words = [f'{key}={value}' for key, value in options.items()]
    return ['--cfg-options', *words]


def short_progress(line: str) -> Optional[str]:
    """``'Iter(train) [ 20/400]  eta 0:05:10  loss 1.23'`` from one of
    mmengine's progress lines, or None for any other line."""
    match = PROGRESS.search(line)
    if match is None:
        return None
    fields = dict(FIELD.findall(line[match.end():]))
    shown = [f'{key} {fields[key]}' for key in SHOWN_FIELDS if key in fields]
    return '  '.join([match.group(0)] + shown)


class Job:
    """A tool running in the background, its output going to a log file."""

    def __init__(self, tag: str, command: List[str], log_file: str,
                 threads: Optional[int]) -> None:
        env = dict(os.environ)
        # Idle OpenMP threads sleep instead of spinning: on busy shared
        # cores, spinning thread pools made iterations up to 100x slower.
        env.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
        if threads is not None:
            env.setdefault('OMP_NUM_THREADS', str(threads))
        self.tag, self.command, self.log_file = tag, command, log_file
        self.start = time.time()
        self.seconds = 0.
        with open(log_file, 'w') as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True)
        self._reader = open(log_file)
        self._partial = ''

    def pump(self) -> None:
        """Print the progress lines the tool wrote since the last call."""
        self._partial += self._reader.read()
        *lines, self._partial = self._partial.split('\n')
        for line in lines:
            progress = short_progress(line)
            if progress:
                log(f'{self.tag:9s} {progress}')

    def finished(self) -> bool:
        if self.process.poll() is None:
            return False
        if not self.seconds:
            self.seconds = time.time() - self.start
        return True

    def check(self) -> None:
        self.pump()
        self._reader.close()
        if self.process.returncode != 0:
            with open(self.log_file) as log:
                tail = log.read()[-4000:]
            raise RuntimeError(
                f'{" ".join(self.command)} failed (exit code '
                f'{self.process.returncode}); the end of {self.log_file}:'
                f'\n{tail}')


def run_jobs(jobs: List[Job]) -> None:
    """Wait for jobs started together; stop them all if one fails."""
    try:
        while not all(job.finished() for job in jobs):
            for job in jobs:
                job.pump()
            if any(job.finished() and job.process.returncode != 0
                   for job in jobs):
                break
            time.sleep(1)
        for job in jobs:
            if job.finished():
                job.check()
    finally:
        for job in jobs:
            if job.process.poll() is None:
                job.process.terminate()
                job.process.wait()


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint a finished ``tools/train.py`` run saved last."""
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        return file.read().strip()


def test_miou(work_dir: str) -> float:
    """The mIoU that ``tools/test.py`` logged into ``work_dir``."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    if not logs:
        raise RuntimeError(f'tools/test.py left no metrics in {work_dir}')
    with open(logs[-1]) as file:
        metrics = [json.loads(line) for line in file if line.strip()]
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
    """The three models' labels on the first validation scenes, as a PNG."""
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
    lines = ['| model | params | mIoU |', '| --- | ---: | ---: |']
    for row in rows:
        lines.append(f'| {row["model"]} | {row["params"] / 1e6:.2f}M '
                     f'| {row["mIoU"]:.2f} |')
    return '\n'.join(lines)


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def main() -> None:
    args = parse_args()
    start = time.time()
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    from mmskd.datasets import write_scenes

    # Start afresh: files of an earlier run (e.g. more scenes) would mix in.
    for name in ('data', *(key for _, _, key in RUNS),
                 *(f'test_{key}' for _, _, key in RUNS)):
        shutil.rmtree(osp.join(args.work_dir, name), ignore_errors=True)
    os.makedirs(args.work_dir, exist_ok=True)
    MMLogger.get_instance(LOGGER, logger_name=LOGGER, file_mode='w',
                          log_file=osp.join(args.work_dir, 'demo.log'))
    iters = args.iters or Config.fromfile(STUDENT).train_cfg.max_iters
    data_root = write_scenes(
        osp.join(args.work_dir, 'data'),
        seed=args.seed,
        num_train=args.num_train,
        num_val=args.num_val,
        progress=True)
    log(f'Wrote {args.num_train} + {args.num_val} scenes (seed {args.seed})'
        f' to {data_root}')
    options = common_options(data_root, args.seed, args.iters)
    cores = cpu_count()

    def train(key: str, config: str, threads: Optional[int]) -> Job:
        run_options = dict(options)
        if config == DISTILL:
            run_options['model.teacher_ckpt'] = checkpoints['teacher']
        log(f'train {key}: tools/train.py {osp.relpath(config, ROOT)}')
        return Job(key, [
            sys.executable,
            osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir',
            osp.join(args.work_dir, key), *cli(run_options)
        ], osp.join(args.work_dir, f'train_{key}.log'), threads)

    # The teacher and the student baseline do not depend on each other: on
    # two or more cores they train side by side, each on half of them.
    checkpoints: Dict[str, str] = {}
    seconds: Dict[str, float] = {}
    if cores >= 2:
        phases = [[('teacher', TEACHER), ('student', STUDENT)],
                  [('distilled', DISTILL)]]
    else:
        phases = [[('teacher', TEACHER)], [('student', STUDENT)],
                  [('distilled', DISTILL)]]
    for phase in phases:
        threads = max(1, cores // len(phase)) if len(phase) > 1 else None
        jobs = [train(key, config, threads) for key, config in phase]
        run_jobs(jobs)
        for job in jobs:
            checkpoints[job.tag] = last_checkpoint(
                osp.join(args.work_dir, job.tag))
            seconds[f'train {job.tag}'] = job.seconds

    # The three evaluations are independent: they run side by side.
    test_jobs = []
    for name, config, key in RUNS:
        run_options = dict(options)
        if config == DISTILL:
            run_options['model.teacher_ckpt'] = checkpoints['teacher']
        log(f'test {key}: tools/test.py {osp.relpath(config, ROOT)} '
            f'{checkpoints[key]}')
        test_jobs.append(
            Job(key, [
                sys.executable,
                osp.join(ROOT, 'tools', 'test.py'), config, checkpoints[key],
                '--work-dir',
                osp.join(args.work_dir, f'test_{key}'), *cli(run_options)
            ], osp.join(args.work_dir, f'test_{key}.log'),
                max(1, cores // len(RUNS))))
    run_jobs(test_jobs)
    rows = []
    for (name, config, key), job in zip(RUNS, test_jobs):
        seconds[f'test {key}'] = job.seconds
        rows.append(
            dict(
                model=name,
                key=key,
                config=osp.relpath(config, ROOT),
                checkpoint=checkpoints[key],
                params=count_parameters(STUDENT if key ==
                                        'distilled' else config),
                mIoU=test_miou(osp.join(args.work_dir, f'test_{key}'))))
    log(f'Drawing the predictions on {FIGURE_SCENES} validation scenes ...')
    figure = draw_predictions(args.work_dir, data_root, checkpoints)

    total = time.time() - start
    miou = {row['key']: row['mIoU'] for row in rows}
    gain = miou['distilled'] - miou['student']
    gap = miou['teacher'] - miou['student']
    print()
    print(f'Seed {args.seed}, {iters} iterations, {args.num_train} '
          f'training and {args.num_val} validation scenes; mIoU on the '
          'validation scenes:')
    print()
    print(format_table(rows))
    print()
    print(f'Distillation gain: {gain:+.2f} mIoU (distilled - student; '
          f'teacher - student: {gap:+.2f}).')
    print('Time: ' + ', '.join(f'{name} {value:.0f}s'
                               for name, value in seconds.items()) +
          f'; total {total / 60:.1f} min.')
    print(f'Predictions (image, ground truth, teacher, student, distilled) '
          f'on {FIGURE_SCENES} validation scenes: {figure}')
    print(f'Logs, checkpoints and data: {args.work_dir}')
    with open(osp.join(args.work_dir, 'results.json'), 'w') as file:
        json.dump(
            dict(
                seed=args.seed,
                iters=iters,
                num_train=args.num_train,
                num_val=args.num_val,
                rows=rows,
                gain=gain,
                predictions=figure,
                seconds=dict(seconds, total=total)),
            file,
            indent=2)


if __name__ == '__main__':
    main()
