# Copyright (c) mmskd contributors. All rights reserved.
"""Print the Markdown table of several ``tools/demo.py`` runs (seeds).

    for S in 0 1 2 3 4; do python tools/demo.py --seed $S; done
    python tools/analysis_tools/demo_seeds.py work_dirs/demo_seed*

Each work dir's ``results.json`` gives one row: the seed, the four models'
mIoU, the two gains over the student and the run's minutes. The last row is
mean ± std over the runs (std with n - 1), and under the table each gain is
judged by the demo's criterion: it *holds* when its mean is at least 3
standard deviations of the gain above zero (:mod:`mmskd.demo.seeds`).
"""
import argparse


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'work_dirs', nargs='+', help='work dirs of tools/demo.py runs')
    args = parser.parse_args()
    from mmskd.demo import seeds_report
    print(seeds_report(args.work_dirs))


if __name__ == '__main__':
    main()
