# Copyright (c) mmskd contributors. All rights reserved.
"""Export a distilled student to ONNX and check it against PyTorch.

CONFIG is the distillation config the student was trained with (or the
student's own mmseg / mmdet config), CHECKPOINT a checkpoint of that run
(the student is taken from it) or the student that
``tools/model_converters/convert_to_student.py`` exported. The graph takes
the preprocessed batch (normalised RGB, N x 3 x H x W, N dynamic, H x W as
``--shape``) and returns a segmentor's score maps at the input's size or a
detector's raw head outputs per level; onnxruntime then runs it on a batch
and the largest difference from PyTorch is printed (and must be within
``--atol``)::

    python tools/deployment/pytorch2onnx.py CONFIG \\
        work_dirs/RUN/iter_80000.pth --out student.onnx --shape 1024 2048

Needs ``pip install onnx onnxruntime`` (requirements/optional.txt).
"""
import argparse
import math
import sys

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the student trained with')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument(
        '--out', default='student.onnx', help='the ONNX file to write')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=(512, 1024),
        metavar=('H', 'W'),
        help='the input size of the graph (default: %(default)s)')
    parser.add_argument(
        '--batch',
        type=int,
        default=2,
        help='images in the batch of the check (default: %(default)s)')
    parser.add_argument(
        '--opset', type=int, default=17, help='ONNX opset (default: 17)')
    parser.add_argument(
        '--atol',
        type=float,
        default=1e-4,
        help='the largest difference from PyTorch accepted '
        '(default: %(default)s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as tools/train.py')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        sys.exit('pytorch2onnx.py checks the export with onnxruntime: '
                 '`pip install onnx onnxruntime` (requirements/optional.txt).')
    from mmskd.deployment import (UnsupportedOperatorError, example_inputs,
                                  export_onnx, for_export, init_student,
                                  onnx_difference)
    student = init_student(args.config, args.checkpoint, args.cfg_options)
    module = for_export(student)
    try:
        names = export_onnx(module, example_inputs(args.shape, 1), args.out,
                            args.opset)
    except UnsupportedOperatorError as error:
        sys.exit(str(error))
    differences = onnx_difference(args.out, module,
                                  example_inputs(args.shape, args.batch, 1))
    print(f'wrote {args.out}: {type(student).__name__}, input '
          f'{args.shape[0]}x{args.shape[1]}, opset {args.opset}')
    for name, difference in zip(names, differences):
        print(f'  {name}: max |onnxruntime - PyTorch| = {difference:.3g}')
    worst = max(differences)
    if not (math.isfinite(worst) and worst <= args.atol):
        sys.exit(f'onnxruntime differs from PyTorch by {worst:.3g}, more '
                 f'than --atol {args.atol:g}; {args.out} is kept for '
                 'inspection.')


if __name__ == '__main__':
    main()
