# Copyright (c) mmskd contributors. All rights reserved.
"""The ablation tables name configs that exist and are what their rows say,
and every row and teacher trains (those of ``ka`` in
tests/test_tools/test_ablation_tool.py, the others here)."""
import math
import os.path as osp
import runpy
import sys

import pytest
from mmengine.config import Config

from mmskd.ablation import SCENES_STUDENT, TABLES
from mmskd.ablation.storage import WRITERS
from mmskd.ablation.tables import recorded_metrics
from mmskd.demo import common_options
from mmskd.testing import REPO, build_runner, logged_scalars

TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'ablation.py')
# The tables whose rows tests/test_tools/test_ablation_tool.py trains.
SMOKED = ('ka', )


def load(config: str) -> Config:
    return Config.fromfile(osp.join(REPO, 'configs', config))


DISTILLED = sorted({
    row.config
    for table in TABLES.values()
    for row in table.rows[1:] if 'teacher' in load(row.config).model
})


def table_of(config: str):
    return next(
        table for table in TABLES.values()
        if config in {table.teacher, *(row.config for row in table.rows)})


def run_ablation_tool(*args: str) -> None:
    """``tools/analysis_tools/ablation.py ARGS`` in this process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, 'argv', [TOOL, *args])
        runpy.run_path(TOOL, run_name='__main__')


def test_list_names_the_tables(capsys):
    run_ablation_tool('--list')
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == list(TABLES) == [
        'skd', 'graphs', 'cwd', 'ka', 'depth', 'video', 'mtl_seg',
        'mtl_depth', 'mtl_normals'
    ]


def test_an_unknown_table_is_refused_with_the_list():
    with pytest.raises(SystemExit) as error:
        run_ablation_tool('skd', 'nope')
    assert str(error.value) == \
        'No table nope; the tables are skd, graphs, cwd, ka, depth, video, ' \
        'mtl_seg, mtl_depth, mtl_normals (--list).'


@pytest.mark.parametrize('name', TABLES)
def test_each_table_starts_with_the_student_alone(name):
    table = TABLES[name]
    student = load(table.student.config)
    assert 'teacher' not in student.model
    if table.data == 'scenes':
        assert student.model == load(SCENES_STUDENT).model
    assert len({row.name for row in table.rows}) == len(table.rows)
    # Table 6.7, the multi-task tables' source, has no single-task row.
    numbered = table.rows if table.teacher else table.rows[1:]
    assert all(row.paper is not None for row in numbered)
    assert all(len(row.paper_also) == len(table.also) for row in table.rows)


def test_a_config_has_one_teacher_and_one_kind_of_data():
    """Runs are kept by config: a config in two tables must train the same
    way in both, and records the metrics of both."""
    settings = {}
    for table in TABLES.values():
        for row in table.rows:
            settings.setdefault(row.config, set()).add(
                (table.teacher, table.data))
    assert all(len(pairs) == 1 for pairs in settings.values())
    joint = TABLES['mtl_seg'].rows[1].config
    assert recorded_metrics(joint, [TABLES['mtl_depth']]) == (
        'abs_rel', 'mIoU', 'normal_mean')
    assert recorded_metrics(TABLES['video'].student.config, []) == \
        ('mIoU', 'TC')


@pytest.mark.parametrize('name', sorted(TABLES))
def test_every_row_trains_as_long_as_its_student(name):
    table = TABLES[name]
    iters = {load(row.config).train_cfg.max_iters for row in table.rows}
    expected = dict(video=160, depth=150).get(name, 200)
    assert iters == {expected}


def test_every_row_after_the_student_distils_but_the_video_tl_row():
    """In the tables with a teacher."""
    undistilled = {
        row.config
        for table in TABLES.values() if table.teacher
        for row in table.rows[1:]
    } - set(DISTILLED)
    assert undistilled == {TABLES['video'].rows[1].config}


@pytest.mark.parametrize('config', DISTILLED)
def test_every_distilled_row_distils_its_tables_student(config):
    """From the table's teacher; on the labels of the first 100 images."""
    table = table_of(config)
    cfg = load(config)
    assert network(config) == network(table.student.config)
    assert Config.fromfile(cfg.model.teacher.cfg_path).model == \
        network(table.teacher)
    dataset = cfg.train_dataloader.dataset
    labelled = dataset.datasets[0] if 'datasets' in dataset else dataset
    assert labelled.indices == cfg.num_labelled == 100


def network(config: str) -> Config:
    """The model a row trains: its student, or the one network of a
    TemporalTraining config."""
    model = load(config).model
    if 'architecture' not in model:
        return model
    return Config.fromfile(model.architecture.cfg_path).model


def losses(config: str) -> dict:
    return load(config).model.distiller.distill_losses


def test_each_skd_row_adds_one_term():
    skd = TABLES['skd'].rows
    assert set(losses(skd[1].config)) == {'loss_pi'}
    assert set(losses(skd[2].config)) == {'loss_pi', 'loss_pa'}
    assert set(losses(skd[3].config)) == {'loss_pi', 'loss_pa'}
    assert load(skd[3].config).model.type == 'HolisticDistill'


def test_graph_rows_at_the_scenes_scale():
    rows = {row.name: row.config for row in TABLES['graphs'].rows}
    local = losses(rows['local: beta = 1x1, alpha = 3x3'])['loss_pa']
    assert (local.node_size, local.connection_range) == (1, 1)
    full = losses(rows['full: beta = 2x2'])['loss_pa']
    assert (full.node_size, full.connection_range) == (2, None)
    alpha = losses(rows['alpha-fusion'])
    assert [(alpha[k].node_size, alpha[k].connection_range)
            for k in ('loss_pa', 'loss_pa_alpha4', 'loss_pa_alpha8')
            ] == [(2, None), (2, 2), (2, 1)]
    beta = losses(rows['beta-fusion'])
    assert [
        beta[k].node_size
        for k in ('loss_pa', 'loss_pa_beta4', 'loss_pa_beta8')
    ] == [2, 4, 8]
    feature = losses(rows['feature-fusion'])
    assert [
        feature[k].node_size
        for k in ('loss_pa', 'loss_pa_stride4', 'loss_pa_stride2')
    ] == [2, 4, 8]


def test_cwd_rows():
    rows = {row.name: row.config for row in TABLES['cwd'].rows}
    mappings = load(
        rows['CWD on the logits']).model.distiller['loss_forward_mappings']
    assert mappings.loss_cwd.preds_S.recorder == 'logits'
    feature = load(rows['CWD on the feature']).model.distiller
    assert set(feature.distill_losses) == {'loss_cwd'}
    assert feature.loss_forward_mappings.loss_cwd.preds_S.recorder == \
        'feature'
    full = load(rows['CWD feature + PI + HO']).model
    assert set(full.distiller.distill_losses) == {'loss_cwd', 'loss_pi'}
    assert full.type == 'HolisticDistill'


def test_ka_rows():
    rows = {row.name: row for row in TABLES['ka'].rows}
    kd = losses(rows['KD (T = 2)'].config)
    assert set(kd) == {'loss_kd'} and kd.loss_kd.tau == 2.0
    fitnet = load(rows['FitNet'].config).model.distiller
    assert set(fitnet.distill_losses) == {'loss_fitnet'}
    regressor = fitnet.connectors.regressor
    assert (regressor.in_channel, regressor.out_channel) == (
        load(SCENES_STUDENT).model.decode_head.channels,
        load(TABLES['ka'].teacher).model.decode_head.channels)
    ka = rows['KA (adaptation + affinity)']
    assert load(ka.config).model.type == 'KnowledgeAdaptationDistill'
    (option, phase), = ka.loads
    assert option == 'model.translator_ckpt'
    translator = load(phase)
    assert translator.model.type == 'KnowledgeTranslatorPretrain'
    assert translator.train_dataloader.dataset.indices == 100
    assert translator.train_cfg.max_epochs == 20


def test_depth_rows():
    table = TABLES['depth']
    assert (table.metric, table.higher_is_better, table.data) == \
        ('abs_rel', False, 'rooms')
    student, skd, unlabelled = (load(row.config) for row in table.rows)
    assert student.model.type == 'PatchedDepthEstimator'
    assert student.train_dataloader.dataset.indices == 100
    assert skd.model.type == unlabelled.model.type == 'HolisticDistill'
    assert skd.model.distiller == unlabelled.model.distiller
    assert set(skd.model.distiller.distill_losses) == {'loss_pa'}
    labelled, frames = unlabelled.train_dataloader.dataset.datasets
    assert labelled.indices == 100
    assert frames.type == 'UnlabelledImageDataset'
    assert load(table.teacher).model.backbone.depth == 101


def test_multi_task_rows_share_their_joint_runs():
    """Each task's network alone, then the same two three-task networks in
    every multi-task table (trained once for the three)."""
    tables = [TABLES[f'mtl_{task}'] for task in ('seg', 'depth', 'normals')]
    for table, task in zip(tables, ('seg', 'depth', 'normals')):
        assert list(load(table.student.config).model.decode_heads) == [task]
        assert table.teacher is None and table.data == 'mt_rooms'
    joint = {tuple(row.config for row in table.rows[1:]) for table in tables}
    assert len(joint) == 1
    plain, modules = (load(config).model for config in joint.pop())
    assert list(plain.decode_heads) == ['seg', 'depth', 'normals']
    assert set(modules.auxiliary_heads) == set(plain.decode_heads)
    assert [table.higher_is_better for table in tables] == [True, False,
                                                            False]


def test_video_rows():
    """Per-frame student, +TL and the full method, all on the clips' true
    flow; the teacher trained with TL."""
    table = TABLES['video']
    assert (table.metrics, table.data) == (('mIoU', 'TC'), 'clips')
    frame, temporal, video = (load(row.config).model for row in table.rows)
    assert frame.type == temporal.type == 'TemporalTraining'
    assert frame.temporal_loss is None
    assert temporal.temporal_loss.type == 'MotionGuidedTemporalLoss'
    assert video.type == 'VideoDistill'
    assert set(video.distiller.distill_losses) == {'loss_pi', 'loss_pa'}
    assert video.pair_frame_loss.type == 'PairWiseFrameAffinityLoss'
    assert video.multi_frame_loss.node_size == 4
    teacher = load(table.teacher)
    assert teacher.model.type == 'TemporalTraining'
    assert teacher.model.temporal_loss == temporal.temporal_loss
    assert network(table.teacher).backbone.depth == 101
    assert Config.fromfile(video.teacher.cfg_path).model == \
        network(table.teacher)
    for model in (frame, temporal, video, teacher.model):
        assert model.flow_source == dict(type='PrecomputedFlow')


@pytest.fixture(scope='module')
def data_roots(tmp_path_factory) -> dict:
    """Each kind of generated data, two training and two validation
    images."""
    return {
        kind:
        WRITERS[kind](
            str(tmp_path_factory.mktemp(kind)), seed=0, num_train=2, num_val=2)
        for kind in sorted({table.data
                            for table in TABLES.values()})
    }


@pytest.mark.parametrize(
    'config',
    sorted({
        config
        for table in TABLES.values()
        for config in (table.teacher, *(row.config for row in table.rows))
        if config
    } - {
        config
        for name in SMOKED
        for config in (TABLES[name].teacher, *(row.config
                                               for row in TABLES[name].rows))
    }))
def test_config_trains_and_validates(config, data_roots, fast_runner,
                                     tmp_path):
    """The teachers and rows that ``ablation.py ka --smoke`` does not
    train (in tests/test_tools/test_ablation_tool.py), one iteration each,
    with the options the tool gives them."""
    table = table_of(config)
    cfg = load(config)
    two_sets = cfg.train_dataloader.dataset.type == 'ConcatDataset'
    cfg.merge_from_dict(
        common_options(
            'unlabelled' if two_sets else 'student',
            data_roots[table.data],
            seed=0,
            iters=1,
            num_labelled=2))
    runner = build_runner(cfg, config, str(tmp_path))
    runner.train()
    train, val = logged_scalars(runner.log_dir)
    if 'teacher' in cfg.model:
        distill = [key for key in train if key.startswith('distill.')]
        assert distill and all(math.isfinite(train[key]) for key in distill)
    # Every metric the tool records for it (a joint multi-task run serves
    # three tables).
    assert all(
        math.isfinite(val[metric])
        for metric in recorded_metrics(config, [table]))
