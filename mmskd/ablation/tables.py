# Copyright (c) mmskd contributors. All rights reserved.
"""The ablation tables: which configs are the rows of which paper table.

A table's rows are configs under ``configs/`` trained on the same generated
data from the same teacher (or with none: the multi-task tables), one run
per seed; the first row is the student trained alone (a single-task network
in the multi-task tables), the baseline every gain is measured against. Each
row keeps the paper's number for it, so that the report can say whether the
paper's ordering of the rows holds at the demo's scale. Rows and settings are
fixed here, before any seed runs.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

# The demo's student and teacher (configs/demo/).
SCENES_STUDENT = 'demo/pspnet_r18-d8_w8_scenes-128x128.py'
SCENES_TEACHER = 'demo/pspnet_r101-d8_w16_scenes-128x128.py'


@dataclass(frozen=True)
class Row:
    """One row of an ablation table.

    Args:
        name (str): The row's label, as the paper's table writes it.
        config (str): Its config, relative to ``configs/``.
        paper (float, optional): The paper's number for the row, in the
            table's metric; None for a row the paper does not have.
        loads (tuple[tuple[str, str]]): ``(option, config)`` pairs: the row
            is given, as that ``--cfg-options`` key, the last checkpoint of
            a run of that config (an earlier phase, e.g. knowledge
            adaptation's translator), which trains once, from the teacher,
            before the rows. Defaults to none.
        paper_also (tuple[float]): The paper's numbers for the row in the
            table's further metrics (``Table.also``), in their order.
            Defaults to none.
    """
    name: str
    config: str
    paper: Optional[float] = None
    loads: Tuple[Tuple[str, str], ...] = ()
    paper_also: Tuple[Optional[float], ...] = ()


@dataclass(frozen=True)
class Table:
    """A named ablation table.

    Args:
        name (str): What ``tools/analysis_tools/ablation.py`` calls it.
        title (str): One line on what it compares.
        source (str): The paper table it mirrors, and the setting of the
            paper's numbers.
        rows (tuple[Row]): Its rows, the student trained alone first.
        metric (str): The metric every run reports (a key its last
            validation logs). Defaults to ``'mIoU'``.
        higher_is_better (bool): Whether a larger metric is better.
            Defaults to True.
        teacher (str, optional): The teacher's config, trained once for
            every table that names it; None for a table whose rows train
            without one (and have no distillation cost). Defaults to the
            demo's.
        data (str): The generated data the teacher and rows train on (a key
            of :data:`mmskd.ablation.storage.WRITERS`). Defaults to the
            demo's ``'scenes'``.
        decimals (int): Decimal places of the report's numbers. Defaults
            to 2.
        also (tuple[str]): Further metrics every run reports, better in
            the same direction as ``metric``, each with its own columns and
            ordering in the report (e.g. the video table's TC beside mIoU).
            Defaults to none.
    """
    name: str
    title: str
    source: str
    rows: Tuple[Row, ...]
    metric: str = 'mIoU'
    higher_is_better: bool = True
    teacher: Optional[str] = SCENES_TEACHER
    data: str = 'scenes'
    decimals: int = 2
    also: Tuple[str, ...] = ()

    @property
    def student(self) -> Row:
        """The baseline row, the student (or one task's network) trained
        alone."""
        return self.rows[0]

    @property
    def metrics(self) -> Tuple[str, ...]:
        """Every metric a run reports: ``metric``, then ``also``."""
        return (self.metric, ) + self.also

    def paper_number(self, row: Row, metric: str) -> Optional[float]:
        """The paper's number for a row in one of the table's metrics."""
        if metric == self.metric:
            return row.paper
        index = self.also.index(metric)
        return row.paper_also[index] if index < len(row.paper_also) else None

    def paper_order(self, metric: Optional[str] = None) -> Tuple[Row, ...]:
        """The rows the paper numbers in a metric (``metric`` if None),
        from its worst to its best."""
        metric = metric or self.metric
        numbered = [
            row for row in self.rows
            if self.paper_number(row, metric) is not None
        ]
        return tuple(
            sorted(
                numbered,
                key=lambda row: self.paper_number(row, metric),
                reverse=not self.higher_is_better))


def _scenes(method: str) -> str:
    """A config of configs/ablation/ on the demo's pair and scenes, on the
    200-iteration schedule of the tables on the scenes."""
    return (f'ablation/{method}_pspnet_r101-d8_pspnet_r18-d8_1xb8-200_'
            'scenes-128x128.py')


def _rooms(method: str, data: str = '') -> str:
    """A config of configs/ablation/ on the depth pair and rooms."""
    return (f'ablation/{method}_depthbin_r101-d8_depthbin_r18-d8_1xb8-150_'
            f'rooms-{data}128x128.py')


# The demo's student on the 200 iterations of the tables on the scenes.
SCENES_STUDENT_200 = 'ablation/pspnet_r18-d8_w8_1xb8-200_scenes-128x128.py'
# The depth student and teacher on the generated rooms.
ROOMS_STUDENT = 'ablation/depthbin_r18-d8_w8_1xb8-150_rooms-128x128.py'
ROOMS_TEACHER = 'ablation/depthbin_r101-d8_w16_rooms-128x128.py'
# The per-frame student and the video teacher on the generated clips.
CLIPS_STUDENT = 'ablation/pspnet_r18-d8_w8_1xb8-160_clips-128x128.py'
CLIPS_TEACHER = 'ablation/temporal_pspnet_r101-d8_w16_clips-128x128.py'
# Phase 1 of knowledge adaptation: the translator of the teacher's feature.
KA_TRANSLATOR = ('ablation/ka_translator_pspnet_r101-d8_1xb8-20e_'
                 'scenes-128x128.py')

# The thesis's Table 6.7 (three tasks, one network; it has no single-task
# row), the source of the multi-task tables' paper numbers.
MULTI_TASK_SOURCE = ('thesis Table 6.7 (SUNRGBD test, U-shape MobileNetV2, '
                     'three tasks: joint and a module per task; no '
                     'single-task row)')


def _mt_rooms(strategy: str) -> str:
    """A multi-task config of configs/multitask/ on the three-task rooms."""
    return (f'multitask/mtl_m-v2-d8-w025_{strategy}_1xb8-200_'
            'mt-rooms-128x128.py')


def _multi_task_table(task: str, what: str, metric: str,
                      paper: Tuple[float, float], **kwargs) -> Table:
    """One task's table of single / joint / joint with a module per task;
    the joint rows' runs are shared by the three tables."""
    return Table(
        name=f'mtl_{task}',
        title=f'multi-task learning, {what}: alone, joint, joint with an '
        'auxiliary module per task',
        source=MULTI_TASK_SOURCE,
        rows=(
            Row(f'{what} alone', _mt_rooms(f'{task}-only')),
            Row('joint (three tasks)', _mt_rooms('joint'), paper[0]),
            Row('joint + a module per task', _mt_rooms('aux-all'), paper[1]),
        ),
        metric=metric,
        teacher=None,
        data='mt_rooms',
        **kwargs)


TABLES: Dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            name='skd',
            title='the terms of structured distillation, one by one',
            source='SKD thesis Table 3.1 (Cityscapes val, ResNet18 (1.0) '
            'with ImageNet weights, mean of 3 runs)',
            rows=(
                Row('student', SCENES_STUDENT_200, 69.10),
                Row('+PI', _scenes('pi'), 70.51),
                Row('+PI+PA', _scenes('skd_pi_pa'), 71.78),
                Row('+PI+PA+HO', _scenes('skd'), 74.08),
            )),
        Table(
            name='graphs',
            title='the pair-wise graph: node size, range and fusions',
            source='SKD thesis Table 3.2 (Cityscapes val, ResNet18 (1.0) '
            'with ImageNet weights, PI+PA, mean of 3 runs)',
            rows=(
                Row('student', SCENES_STUDENT_200, 69.10),
                Row('local: beta = 1x1, alpha = 3x3',
                    _scenes('skd_pi_pa_local'), 70.83),
                Row('full: beta = 2x2', _scenes('skd_pi_pa'), 71.78),
                Row('alpha-fusion', _scenes('skd_pi_pa_alpha_fusion'),
                    72.03),
                Row('beta-fusion', _scenes('skd_pi_pa_beta_fusion'),
                    71.91),
                Row('feature-fusion', _scenes('skd_pi_pa_feature_fusion'),
                    72.18),
            )),
        Table(
            name='cwd',
            title='channel-wise distillation: logits, feature, with PI + HO',
            source='CWD, thesis Tables 4.2 and 4.6 (Cityscapes val, '
            'PSPNet-R18 with ImageNet weights; 4.6\'s student 69.72)',
            rows=(
                Row('student', SCENES_STUDENT_200, 69.10),
                Row('CWD on the logits', _scenes('cwd_logits'), 72.82),
                Row('CWD on the feature', _scenes('cwd_fea'), 74.87),
                Row('CWD feature + PI + HO', _scenes('skd_cwd'), 75.79),
            )),
        Table(
            name='ka',
            title='knowledge adaptation against KD and FitNet',
            source='KA paper Table 3 (Pascal VOC val, MobileNetV2 at '
            'output stride 16 from an output-stride-8 teacher)',
            rows=(
                Row('student', SCENES_STUDENT_200, 70.57),
                Row('KD (T = 2)', _scenes('kd_t2'), 71.32),
                Row('FitNet', _scenes('fitnet'), 71.3),
                Row('KA (adaptation + affinity)',
                    _scenes('ka'),
                    72.5,
                    loads=(('model.translator_ckpt', KA_TRANSLATOR), )),
            )),
        Table(
            name='depth',
            title='structured distillation for depth, with unlabelled images',
            source='SKD thesis Table 3.12 (NYUD-v2 test, relative error, '
            'MobileNetV2 student, small NYUD-v2)',
            rows=(
                Row('student', ROOMS_STUDENT, 0.181),
                Row('+PA+HO', _rooms('skd'), 0.173),
                Row('+PA+HO+Unl', _rooms('skd', 'unl-'), 0.160),
            ),
            metric='abs_rel',
            higher_is_better=False,
            teacher=ROOMS_TEACHER,
            data='rooms',
            decimals=3),
        Table(
            name='video',
            title='temporally consistent per-frame students',
            source='SKD thesis Table 5.1 (Cityscapes val, PSPNet18, mIoU '
            'and TC, the teacher PSPNet101 trained with TL)',
            rows=(
                Row('per-frame student',
                    CLIPS_STUDENT,
                    69.79,
                    paper_also=(68.50, )),
                Row('+TL', 'ablation/temporal_pspnet_r18-d8_w8_1xb8-160_'
                    'clips-128x128.py',
                    70.67,
                    paper_also=(70.46, )),
                Row('+TL+SF+PF+MF', 'ablation/video_pspnet_r101-d8_'
                    'pspnet_r18-d8_1xb8-160_clips-128x128.py',
                    73.06,
                    paper_also=(70.56, )),
            ),
            also=('TC', ),
            teacher=CLIPS_TEACHER,
            data='clips'),
        _multi_task_table('seg', 'segmentation', 'mIoU', (53.7, 54.9)),
        _multi_task_table(
            'depth',
            'depth',
            'abs_rel', (0.228, 0.205),
            higher_is_better=False,
            decimals=3),
        _multi_task_table(
            'normals',
            'normals',
            'normal_mean', (28.7, 26.1),
            higher_is_better=False),
    )
}


def recorded_metrics(config: str,
                     tables: Sequence[Table]) -> Tuple[str, ...]:
    """The metrics a row's run records: those of every table it is a row
    of (a run is kept by config, and the multi-task tables share theirs),
    the given tables' first.

    Args:
        config (str): The row's config.
        tables (Sequence[Table]): The tables being run.

    Returns:
        tuple[str]: The metrics, each once.
    """
    metrics: List[str] = []
    for table in (*tables, *TABLES.values()):
        if config in (row.config for row in table.rows):
            metrics += [m for m in table.metrics if m not in metrics]
    return tuple(metrics)
