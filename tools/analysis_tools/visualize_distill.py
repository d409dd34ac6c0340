# Copyright (c) mmskd contributors. All rights reserved.
"""Draw what a trained distillation pair does on some images.

    python tools/analysis_tools/visualize_distill.py CONFIG CKPT IMAGE... \\
        [--out-dir DIR] [--pixel Y X] [--channels C ...]

CONFIG is a segmentation distill config and CKPT a checkpoint of its
training run (it holds teacher and student, so the config's
``teacher_ckpt`` is not read: no model-zoo download). A checkpoint that does
not hold exactly CONFIG's model is refused, naming what does not fit,
instead of drawing a partly random pair. For each image the panels are

- ``<stem>_predictions``: the image, the teacher's and the student's
  test-time labels and where they disagree, with the discriminator's scores
  D(Q | I) of both score maps when the config has a discriminator;
- ``<stem>_affinity``: one row of the pair-wise affinity graph, the pixel
  ``--pixel`` (default: the centre) against all nodes, teacher and student;
- ``<stem>_channels``: the channel-wise spatial softmax of ``--channels``
  (default: the teacher's 3 largest by mean), teacher and student, with each
  channel's KL divergence.

The panels go to the config's ``vis_backends`` through mmskd's
``DistillVisualizer`` (a ``SegLocalVisualizer``), saved under ``--out-dir``:
PNG files in ``DIR/vis_data/vis_image/<panel>_<iter>.png`` with the default
``LocalVisBackend`` (``<iter>``: the checkpoint's iteration, so panels of
several checkpoints line up as steps), TensorBoard or W&B images with
theirs. ``DIR/summary.json`` lists what each panel shows.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.logging import MMLogger
from mmengine.registry import VISUALIZERS
from mmengine.utils import track_iter_progress

import mmskd  # noqa: F401  (registers mmskd, patches mmrazor's import)
from mmskd.apis import init_model, run_pair, test_pipeline
from mmskd.utils.cli import add_cfg_options
from mmskd.visualization import draw_pair, stem_of


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='segmentation distill config')
    parser.add_argument('checkpoint', help='checkpoint of its training run')
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument(
        '--out-dir',
        default='work_dirs/visualize_distill',
        help='where the panels go (default: %(default)s)')
    parser.add_argument(
        '--pixel',
        type=float,
        nargs=2,
        metavar=('Y', 'X'),
        help='pixel of the affinity panel, in image coordinates '
        '(default: the centre)')
    parser.add_argument(
        '--channels',
        type=int,
        nargs='+',
        help='channels of the channel panel (default: the teacher\'s 3 '
        'largest by mean)')
    parser.add_argument(
        '--tile-size',
        type=int,
        default=512,
        help='longest side of each tile (default: %(default)s)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    add_cfg_options(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    logger = MMLogger.get_instance('mmskd_visualize', log_level='INFO')
    model = init_model(args.config, args.checkpoint, args.device,
                       args.cfg_options)
    step = model.checkpoint_meta.get('iter', 0)
    cfg = model.cfg
    backends = (cfg.get('visualizer') or {}).get('vis_backends') or \
        [dict(type='LocalVisBackend')]
    visualizer = VISUALIZERS.build(
        dict(
            type='mmskd.DistillVisualizer',
            name='mmskd_visualize_distill',
            vis_backends=backends,
            save_dir=args.out_dir,
            tile_size=args.tile_size))
    meta = model.dataset_meta or {}
    visualizer.set_dataset_meta(
        classes=meta.get('classes'), palette=meta.get('palette'))
    pipeline = test_pipeline(cfg)
    summary = dict(config=args.config, checkpoint=args.checkpoint, step=step)
    for image in track_iter_progress(args.images):
        record = run_pair(model, pipeline, image)
        summary[image] = draw_pair(visualizer, record, stem_of(image),
                                   args.pixel, args.channels, step=step)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as file:
        json.dump(summary, file, indent=2)
    logger.info(f'Panels of {len(args.images)} image(s) written through '
                f'{[b["type"] for b in backends]} under {args.out_dir}.')


if __name__ == '__main__':
    main()
