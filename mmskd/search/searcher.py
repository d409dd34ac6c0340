# Copyright (c) mmskd contributors. All rights reserved.
"""Search an auxiliary module: the work of
``tools/analysis_tools/search_aux.py``.

The network trains once without its auxiliary module on the meta-train
split (the shared starting point, which every structure starts from, in the
spirit of Nekrasov et al.'s pre-trained encoder). Then, batch after batch,
the controller samples structures; each trains from the starting point for
a few iterations with ``tools/train.py`` on the meta-train split, as many
side by side as there are cores, and is scored on the meta-val split; PPO
updates the controller on the batch's rewards.

Resumable: ``WORK_DIR/search_state.pth`` holds the controller, its
optimizer, the baseline, the sampler's random state, every structure scored
and the batch in progress; a structure whose run wrote ``result.json`` is
not trained again.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import OPTIMIZERS

from mmskd.demo import (Job, available_cores, final_metric, last_checkpoint,
                        run_queue, train_command)
from mmskd.models.auxiliary import AuxiliaryController
from mmskd.registry import MODELS
from .episodes import (meta_split, num_module_inputs, on_split,
                       with_iterations, with_structure,
                       without_auxiliary_module)
from .ppo import PPOSettings, RewardBaseline, ppo_update
from .report import write_report
from .reward import geometric_mean_reward

LOGGER = 'mmskd_search'
STATE = 'search_state.pth'
RESULT = 'result.json'


def log(message: str) -> None:
    """One progress message through the search's logger."""
    MMLogger.get_instance(LOGGER).info(message)


@dataclass
class SearchSettings:
    """A search's settings: the config's ``search`` dict, which the
    command line may override. The thesis gives none of them; the
    controller's and PPO's defaults are mmskd's choices.

    Args:
        episodes (int): Structures sampled and trained in all.
        batch (int): Structures per PPO update.
        warmup_iters (int): Iterations of the shared starting point.
        episode_iters (int): Iterations of each structure from it.
        meta_val (float): Share of the training images held out to score
            the structures. Defaults to 0.2.
        metrics (list[str]): The metrics of the reward's geometric mean.
            Defaults to mIoU.
        lower_is_better (list[str]): Those of them inverted. Defaults to
            none.
        controller (dict): The controller's config. Defaults to an
            :class:`AuxiliaryController` of width 64.
        optimizer (dict): Its optimizer's config. Defaults to Adam at
            lr 3e-3.
        ppo (dict): :class:`PPOSettings`' arguments. Defaults to its
            defaults.
        seed (int): Of the sampling and of every training. Defaults to 0.
    """
    episodes: int
    batch: int
    warmup_iters: int
    episode_iters: int
    meta_val: float = 0.2
    metrics: List[str] = field(default_factory=lambda: ['mIoU'])
    lower_is_better: List[str] = field(default_factory=list)
    controller: dict = field(
        default_factory=lambda: dict(
            type='AuxiliaryController', hidden_size=64))
    optimizer: dict = field(
        default_factory=lambda: dict(type='Adam', lr=3e-3))
    ppo: dict = field(default_factory=dict)
    seed: int = 0


class AuxiliarySearch:
    """Search the auxiliary module of a config.

    Args:
        cfg (Config): A segmentor config with an auxiliary module and a
            ``search`` dict (:class:`SearchSettings`).
        config_file (str): Its file (the best structure's config names it).
        work_dir (str): Where everything goes.
        settings (SearchSettings): What to search.
    """

    def __init__(self, cfg: Config, config_file: str, work_dir: str,
                 settings: SearchSettings) -> None:
        self.cfg, self.config_file = cfg, config_file
        self.work_dir, self.settings = work_dir, settings
        self.lanes = available_cores()
        torch.manual_seed(settings.seed)
        self.controller: AuxiliaryController = MODELS.build(
            dict(settings.controller, num_inputs=num_module_inputs(cfg)))
        self.optimizer = OPTIMIZERS.build(
            dict(settings.optimizer, params=self.controller.parameters()))
        self.ppo = PPOSettings(**settings.ppo)
        self.baseline = RewardBaseline(self.ppo.baseline_decay)
        self.generator = torch.Generator().manual_seed(settings.seed)
        # Every structure scored: episode, cells, metrics, reward.
        self.history: List[dict] = []
        # The batch in progress: episode, cells, log_prob at sampling.
        self.pending: List[dict] = []
        self.train_ids, self.val_ids = meta_split(cfg, settings.meta_val)

    def run(self) -> List[dict]:
        """Search until ``episodes`` structures are scored.

        Returns:
            list[dict]: Every structure scored, in order.
        """
        os.makedirs(self.work_dir, exist_ok=True)
        self._load_state()
        start = self._train_starting_point()
        while len(self.history) < self.settings.episodes:
            if not self.pending:
                self._sample_batch()
            self._train_pending(start)
            self._update()
        write_report(self.history, self.cfg, self.config_file, self.work_dir)
        return self.history

    def _sample_batch(self) -> None:
        left = self.settings.episodes - len(self.history)
        for _ in range(min(self.settings.batch, left)):
            with torch.no_grad():
                cells, log_prob, _ = self.controller.sample(self.generator)
            self.pending.append(
                dict(
                    episode=len(self.history) + len(self.pending),
                    cells=[list(cell) for cell in cells],
                    log_prob=log_prob.item()))
        self._save_state()

    def _run_dir(self, name: str) -> str:
        return osp.join(self.work_dir, name)

    def _episode_dir(self, entry: dict) -> str:
        return self._run_dir(f'episode_{entry["episode"]:04d}')

    def _train_starting_point(self) -> str:
        """Train the network without its module once; its checkpoint."""
        run_dir = self._run_dir('starting_point')
        if not osp.isfile(osp.join(run_dir, RESULT)):
            log(f'Training the shared starting point '
                f'({self.settings.warmup_iters} iterations on '
                f'{len(self.train_ids)} meta-train images, no auxiliary '
                'module)')
            cfg = with_iterations(
                on_split(
                    without_auxiliary_module(self.cfg), self.train_ids,
                    self.val_ids), self.settings.warmup_iters)
            job = self._job('starting point', cfg, run_dir, load_from=None)
            run_queue([job], 1, lambda job: self._record(run_dir, job.tag))
        return last_checkpoint(run_dir)

    def _train_pending(self, start: str) -> None:
        run_dirs: Dict[Job, str] = {}
        for entry in self.pending:
            run_dir = self._episode_dir(entry)
            if osp.isfile(osp.join(run_dir, RESULT)):
                continue
            cfg = with_iterations(
                on_split(
                    with_structure(self.cfg, entry['cells']), self.train_ids,
                    self.val_ids), self.settings.episode_iters)
            job = self._job(f'episode {entry["episode"]}', cfg, run_dir,
                            start)
            run_dirs[job] = run_dir
        if run_dirs:
            log(f'{len(run_dirs)} structure(s) to train, {self.lanes} side '
                'by side')
        run_queue(
            list(run_dirs), self.lanes,
            lambda job: self._record(run_dirs[job], job.tag))

    def _job(self, tag: str, cfg: Config, run_dir: str,
             load_from: Optional[str]) -> Job:
        os.makedirs(run_dir, exist_ok=True)
        config_file = osp.join(run_dir, 'config.py')
        cfg.dump(config_file)
        options: Dict[str, object] = {'randomness.seed': self.settings.seed}
        if load_from is not None:
            options['load_from'] = load_from
        return Job(
            tag,
            train_command(config_file, run_dir, options),
            osp.join(run_dir, 'train.log'),
            threads=1)

    def _record(self, run_dir: str, tag: str) -> None:
        metrics = {
            metric: final_metric(run_dir, metric)
            for metric in self.settings.metrics
        }
        with open(osp.join(run_dir, RESULT), 'w') as file:
            json.dump(dict(metrics=metrics), file)
        log(f'{tag}: {metrics} on meta-val')

    def _update(self) -> None:
        """PPO on the finished batch; the batch joins the history."""
        for entry in self.pending:
            run_dir = self._episode_dir(entry)
            with open(osp.join(run_dir, RESULT)) as file:
                entry['metrics'] = json.load(file)['metrics']
            entry['reward'] = geometric_mean_reward(
                entry['metrics'], self.settings.lower_is_better)
        rewards = [entry['reward'] for entry in self.pending]
        stats = ppo_update(
            self.controller, self.optimizer,
            [entry['cells'] for entry in self.pending],
            [torch.tensor(entry['log_prob']) for entry in self.pending],
            self.baseline.advantages(rewards), self.ppo)
        self.history += self.pending
        self.pending = []
        self._save_state()
        best = max(entry['reward'] for entry in self.history)
        log(f'{len(self.history)}/{self.settings.episodes} structures: '
            f'batch rewards {", ".join(f"{r:.4g}" for r in rewards)}, best '
            f'{best:.4g}; controller entropy {stats["entropy"]:.3f}')
        write_report(self.history, self.cfg, self.config_file, self.work_dir)

    def _save_state(self) -> None:
        state = dict(
            controller=self.controller.state_dict(),
            optimizer=self.optimizer.state_dict(),
            baseline=self.baseline.state_dict(),
            generator=self.generator.get_state(),
            history=self.history,
            pending=self.pending)
        path = osp.join(self.work_dir, STATE)
        torch.save(state, path + '.tmp')
        os.replace(path + '.tmp', path)  # a kill never leaves half a state

    def _load_state(self) -> None:
        path = osp.join(self.work_dir, STATE)
        if not osp.isfile(path):
            return
        state = torch.load(path, weights_only=False)
        self.controller.load_state_dict(state['controller'])
        self.optimizer.load_state_dict(state['optimizer'])
        self.baseline.load_state_dict(state['baseline'])
        self.generator.set_state(state['generator'])
        self.history, self.pending = state['history'], state['pending']
        log(f'Resumed: {len(self.history)} structures scored, '
            f'{len(self.pending)} in the batch in progress')
