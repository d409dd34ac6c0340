# Copyright (c) mmskd contributors. All rights reserved.
"""What the test suite shares: generated data, tiny-run overrides, the
repository's configs as tests load them, bounded subprocesses, the DDP
workers' helpers and independent references.

Only the test suite uses this package; product code (``mmskd`` outside this
package, ``tools/``) never imports it. The modules are private; this is the
API.
"""
from ._camvid_writer import write_camvid_like
from ._configs import (CONFIG_ROOT, CWD_LOGITS, REPO, leaf_configs,
                       loaded_config, one_per_method, tiny_cfg)
from ._ddp_workers import (build_ddp_run, finish_ddp_run,
                           finish_with_every_rank, flat_parameters,
                           parse_worker_args, rank_batch, same_on_both_ranks)
from ._depth_options import CROP, HEIGHT, WIDTH, tiny_depth_options
from ._distributed_checks import (MISMATCH_WARNING, assert_no_wrapper_names,
                                  assert_resumes_in_one_process,
                                  assert_student_converts,
                                  assert_test_py_reproduces, logged_metric)
from ._holistic_reference import (fixed_weights, load_weights,
                                  reference_penalty, reference_score)
from ._image_folder_writer import write_cityscapes_with_extra
from ._ka_options import tiny_ka_options
from ._metafiles import metafile_entry
from ._multi_task_options import tiny_multi_task_options
from ._nyu_writer import write_nyu_frames, write_nyu_like
from ._options import (format_cfg_options, tiny_det_options,
                       tiny_seg_data_options, tiny_seg_options)
from ._processes import HungCommandError, free_port, run_bounded, run_tool
from ._runs import (assert_amp_wrappers, build_runner, cli_options, load_tool,
                    logged_scalars, run_command, tiny_options_with_teacher,
                    write_teacher_checkpoint)
from ._sequence_writer import (DX, DY, LABELLED, tiny_video_options,
                               write_cityscapes_sequences)
from ._writers import (write_ade20k_like, write_cityscapes_like,
                       write_coco_like, write_voc_like)

__all__ = [
    'tiny_multi_task_options', 'tiny_options_with_teacher',
    'write_camvid_like', 'CONFIG_ROOT', 'CWD_LOGITS', 'REPO', 'leaf_configs',
    'loaded_config', 'one_per_method', 'tiny_cfg', 'build_ddp_run',
    'finish_ddp_run', 'finish_with_every_rank', 'flat_parameters',
    'parse_worker_args', 'rank_batch', 'same_on_both_ranks', 'CROP', 'HEIGHT',
    'WIDTH', 'tiny_depth_options', 'MISMATCH_WARNING',
    'assert_no_wrapper_names', 'assert_resumes_in_one_process',
    'assert_student_converts', 'assert_test_py_reproduces', 'logged_metric',
    'fixed_weights', 'load_weights', 'reference_penalty', 'reference_score',
    'write_cityscapes_with_extra', 'tiny_ka_options', 'metafile_entry',
    'write_nyu_frames', 'write_nyu_like', 'format_cfg_options',
    'tiny_det_options', 'tiny_seg_data_options', 'tiny_seg_options',
    'HungCommandError', 'free_port', 'run_bounded', 'run_tool',
    'assert_amp_wrappers', 'build_runner', 'cli_options', 'load_tool',
    'logged_scalars', 'run_command', 'write_teacher_checkpoint', 'DX', 'DY',
    'LABELLED', 'tiny_video_options', 'write_cityscapes_sequences',
    'write_ade20k_like', 'write_cityscapes_like', 'write_coco_like',
    'write_voc_like'
]
