# Copyright (c) mmskd contributors. All rights reserved.
"""The configs a search trains: the structure in place of the basic module,
the starting point without it, the meta split of the training images."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmskd.models.auxiliary import basic_module_cells
from mmskd.search.episodes import (meta_split, on_split, with_iterations,
                                   with_structure, without_auxiliary_module)
from mmskd.testing import CONFIG_ROOT

SEARCH = osp.join(CONFIG_ROOT, 'auxiliary',
                  'search_pspnet_r18-d8_w8_aux_scenes-128x128.py')


def test_a_structure_replaces_the_basic_module_and_keeps_its_settings():
    cfg = Config.fromfile(SEARCH)
    cells = basic_module_cells(4)
    searched = with_structure(cfg, cells)
    module = searched.model.auxiliary_head
    assert module.type == 'AuxiliaryCellsHead' and module._scope_ == 'mmskd'
    assert module.cells == [list(cell) for cell in cells]
    assert 'adaptor_kernel' not in module and 'search' not in searched
    basic = cfg.model.auxiliary_head
    for key in ('in_channels', 'in_index', 'channels', 'num_classes',
                'norm_cfg', 'loss_decode', 'dropout_ratio'):
        assert module[key] == basic[key], key
    assert cfg.model.auxiliary_head.type == 'AuxiliaryModuleHead'  # a copy
    assert without_auxiliary_module(cfg).model.auxiliary_head is None


def test_the_meta_split_holds_out_the_last_images_for_validation():
    cfg = Config.fromfile(SEARCH)
    train, val = meta_split(cfg, 0.2)
    assert train == list(range(80)) and val == list(range(80, 100))
    episode = with_iterations(on_split(cfg, train, val), 50)
    assert episode.train_dataloader.dataset.indices == train
    val_set = episode.val_dataloader.dataset
    assert val_set.indices == val
    assert val_set.data_prefix == cfg.train_dataloader.dataset.data_prefix
    assert val_set.pipeline == cfg.val_dataloader.dataset.pipeline
    assert (episode.train_cfg.max_iters, episode.train_cfg.val_interval) == (
        50, 50)
    with pytest.raises(ValueError, match='leaves no meta-train or no meta'):
        meta_split(cfg, 1.0)


def test_a_model_without_one_auxiliary_module_is_refused():
    cfg = Config.fromfile(SEARCH)
    cfg.model.auxiliary_head = dict(type='FCNHead')
    with pytest.raises(ValueError, match='this model has 0. Start from a'):
        with_structure(cfg, basic_module_cells(4))
