# Copyright (c) mmskd contributors. All rights reserved.
"""What a search writes as it goes: every structure with its reward, the
rewards over the episodes, and the best structure as a config."""
import json
import os.path as osp
from typing import List

from mmengine.config import Config

from .episodes import with_structure

STRUCTURES = 'structures.json'
PLOT = 'rewards.png'
BEST_CONFIG = 'best_structure.py'


def best_entry(history: List[dict]) -> dict:
    """The structure with the highest reward (the first of equals)."""
    return max(history, key=lambda entry: entry['reward'])


def write_report(history: List[dict], cfg: Config, config_file: str,
                 work_dir: str) -> None:
    """Write ``structures.json``, ``rewards.png`` and ``best_structure.py``.

    Args:
        history (list[dict]): Every structure scored (episode, cells,
            metrics, reward, log_prob).
        cfg (Config): The search's config.
        config_file (str): Its file.
        work_dir (str): The search's work dir.
    """
    if not history:
        return
    best = best_entry(history)
    with open(osp.join(work_dir, STRUCTURES), 'w') as file:
        json.dump(
            dict(config=config_file, best=best, structures=history),
            file,
            indent=1)
    plot_rewards(history, osp.join(work_dir, PLOT))
    # The searched module on the config's whole training set and schedule.
    with_structure(cfg, [tuple(cell) for cell in best['cells']]).dump(
        osp.join(work_dir, BEST_CONFIG))


def plot_rewards(history: List[dict], path: str) -> None:
    """Each structure's reward over the episodes, and the best so far."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    episodes = [entry['episode'] for entry in history]
    rewards = [entry['reward'] for entry in history]
    best = [max(rewards[:index + 1]) for index in range(len(rewards))]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.plot(episodes, rewards, 'o', markersize=3, label='structure')
    axes.plot(episodes, best, '-', label='best so far')
    axes.set_xlabel('episode')
    axes.set_ylabel('reward (meta-val)')
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
