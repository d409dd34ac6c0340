# Copyright (c) mmskd contributors. All rights reserved.
"""The ablation tables name configs that exist and are what their rows say,
and every row trains (those of ``skd`` in
tests/test_tools/test_ablation_tool.py, the others here)."""
import math
import os.path as osp
import runpy
import sys

import pytest
from mmengine.config import Config

from mmskd.ablation import SCENES_STUDENT, TABLES
from mmskd.demo import common_options, write_scenes
from mmskd.testing import REPO, build_runner, logged_scalars

TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'ablation.py')
# The tables whose rows tests/test_tools/test_ablation_tool.py trains.
SMOKED = ('skd', 'ka')
DISTILLED = sorted(
    {row.config
     for table in TABLES.values()
     for row in table.rows[1:]})


def load(config: str) -> Config:
    return Config.fromfile(osp.join(REPO, 'configs', config))


def run_ablation_tool(*args: str) -> None:
    """``tools/analysis_tools/ablation.py ARGS`` in this process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, 'argv', [TOOL, *args])
        runpy.run_path(TOOL, run_name='__main__')


def test_list_names_the_tables(capsys):
    run_ablation_tool('--list')
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == list(TABLES) == ['skd', 'graphs', 'cwd', 'ka']


def test_an_unknown_table_is_refused_with_the_list():
    with pytest.raises(SystemExit) as error:
        run_ablation_tool('skd', 'nope')
    assert str(error.value) == \
        'No table nope; the tables are skd, graphs, cwd, ka (--list).'


@pytest.mark.parametrize('name', TABLES)
def test_each_table_starts_with_the_student_alone(name):
    table = TABLES[name]
    student = load(table.student.config)
    assert student.model == load(SCENES_STUDENT).model
    assert 'teacher' not in student.model
    assert len({row.name for row in table.rows}) == len(table.rows)
    assert all(row.paper is not None for row in table.rows)


@pytest.mark.parametrize('name', sorted(TABLES))
def test_every_row_trains_as_long_as_its_student(name):
    table = TABLES[name]
    iters = {load(row.config).train_cfg.max_iters for row in table.rows}
    assert iters == {200 if name == 'graphs' else 300}


@pytest.mark.parametrize('config', DISTILLED)
def test_every_distilled_row_distils_the_demo_student(config):
    cfg = load(config)
    assert cfg.model.architecture.cfg_path.endswith(
        'demo/pspnet_r18-d8_w8_scenes-128x128.py')
    assert cfg.model.teacher.cfg_path.endswith(
        'demo/pspnet_r101-d8_w16_scenes-128x128.py')
    assert cfg.train_dataloader.dataset.indices == cfg.num_labelled == 100


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
    assert (regressor.in_channel, regressor.out_channel) == (16, 128)
    ka = rows['KA (adaptation + affinity)']
    assert load(ka.config).model.type == 'KnowledgeAdaptationDistill'
    (option, phase), = ka.loads
    assert option == 'model.translator_ckpt'
    translator = load(phase)
    assert translator.model.type == 'KnowledgeTranslatorPretrain'
    assert translator.train_dataloader.dataset.indices == 100
    assert translator.train_cfg.max_epochs == 20


@pytest.fixture(scope='module')
def scenes(tmp_path_factory) -> str:
    return write_scenes(
        str(tmp_path_factory.mktemp('scenes')), seed=0, num_train=2, num_val=2)


@pytest.mark.parametrize(
    'config',
    sorted(
        set(DISTILLED) -
        {row.config
         for name in SMOKED
         for row in TABLES[name].rows}))
def test_row_trains_and_validates(config, scenes, fast_runner, tmp_path):
    """The rows that ``ablation.py skd ka --smoke`` does not train (in
    tests/test_tools/test_ablation_tool.py), one iteration each, with the
    options the tool gives them."""
    cfg = load(config)
    cfg.merge_from_dict(
        common_options('student', scenes, seed=0, iters=1, num_labelled=2))
    runner = build_runner(cfg, config, str(tmp_path))
    runner.train()
    train, val = logged_scalars(runner.log_dir)
    distill = [key for key in train if key.startswith('distill.')]
    assert distill and all(math.isfinite(train[key]) for key in distill)
    assert 0 <= val['mIoU'] <= 100
