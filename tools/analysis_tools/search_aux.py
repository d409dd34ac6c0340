# Copyright (c) mmskd contributors. All rights reserved.
"""Search the auxiliary module of a segmentor config (thesis §6.3.4).

    python tools/analysis_tools/search_aux.py CONFIG --work-dir DIR
        [--episodes N] [--compare-seeds 0 1 2 3 4] [--smoke]
        [--cfg-options KEY=VALUE ...]

CONFIG has an auxiliary module in its ``auxiliary_head`` and a ``search``
dict (:class:`mmskd.search.SearchSettings`; e.g. the demo student's,
configs/auxiliary/search_pspnet_r18-d8_w8_aux_scenes-128x128.py). The
network trains once without the module (the shared starting point); then an
LSTM controller samples structures, each trains from that point on the
meta-train split and is scored on the meta-val split, and PPO updates the
controller. Run the same command again to continue a search that was
stopped. It writes
``DIR/structures.json`` (every structure, its metrics and reward),
``DIR/rewards.png`` and ``DIR/best_structure.py``, which ``tools/train.py``
trains. The work is :mod:`mmskd.search`'s.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction

# Sizes of --smoke: a check that the search runs, its numbers meaningless.
SMOKE = dict(episodes=2, batch=2, warmup_iters=1, episode_iters=1)


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the search config')
    parser.add_argument(
        '--work-dir', required=True, help='where the runs and reports go')
    parser.add_argument(
        '--episodes',
        type=int,
        help='structures to sample in all (the config\'s search.episodes '
        'if not given)')
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='a check that the search runs: ' +
        ', '.join(f'{key} {value}' for key, value in SMOKE.items()) +
        ' (and the comparison\'s runs as long as an episode)')
    parser.add_argument(
        '--compare-seeds',
        type=int,
        nargs='+',
        help='after the search, train the network without an auxiliary '
        'module, with the config\'s module and with the searched one at '
        'these seeds (the config\'s training set and schedule) and compare '
        'their first search metric (WORK_DIR/comparison.md)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as tools/train.py')
    args = parser.parse_args()
    args.work_dir = osp.abspath(args.work_dir)
    return args


def main() -> None:
    args = parse_args()
    from mmengine.logging import MMLogger

    from mmskd.search import AuxiliarySearch, SearchSettings
    from mmskd.search.compare import compare, format_comparison
    from mmskd.search.searcher import LOGGER, log
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if 'search' not in cfg:
        sys.exit(f'{args.config} has no `search` dict: add one, as '
                 'configs/auxiliary/search_pspnet_r18-d8_w8_aux_scenes-'
                 '128x128.py does.')
    search = dict(cfg.search)
    if args.smoke:
        search.update(SMOKE)
    if args.episodes is not None:
        search['episodes'] = args.episodes
    try:
        settings = SearchSettings(**search)
    except TypeError as error:
        sys.exit(f'search: {error}; its keys are the arguments of '
                 'mmskd.search.SearchSettings.')
    os.makedirs(args.work_dir, exist_ok=True)
    MMLogger.get_instance(
        LOGGER,
        logger_name=LOGGER,
        log_file=osp.join(args.work_dir, 'search.log'),
        file_mode='a')
    history = AuxiliarySearch(cfg, osp.abspath(args.config), args.work_dir,
                              settings).run()
    best = max(history, key=lambda entry: entry['reward'])
    print(f'Best structure (episode {best["episode"]}, reward '
          f'{best["reward"]:.4g}): {best["cells"]}')
    print(f'Its config: {osp.join(args.work_dir, "best_structure.py")}')
    if args.compare_seeds:
        metric = settings.metrics[0]
        results = compare(
            cfg,
            best['cells'],
            args.compare_seeds,
            metric,
            osp.join(args.work_dir, 'compare'),
            log,
            iters=SMOKE['episode_iters'] if args.smoke else None)
        table = format_comparison(results, metric)
        with open(osp.join(args.work_dir, 'comparison.md'), 'w') as file:
            file.write(table + '\n')
        print(f'\n{metric} on the validation set, seeds '
              f'{", ".join(map(str, args.compare_seeds))}:\n{table}')


if __name__ == '__main__':
    main()
