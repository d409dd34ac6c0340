# Copyright (c) mmskd contributors. All rights reserved.
"""Generated data and tiny-run overrides for tests and CPU smoke runs.

Only the test suite uses this package; product code (``mmskd`` outside this
package, ``tools/``) never imports it. The modules are private; this is the
API.
"""
from ._distributed_checks import (MISMATCH_WARNING, assert_no_wrapper_names,
                                  assert_resumes_in_one_process,
                                  assert_student_converts,
                                  assert_test_py_reproduces, logged_metric)
from ._options import (format_cfg_options, tiny_det_options,
                       tiny_seg_data_options, tiny_seg_options)
from ._processes import HungCommandError, run_bounded, run_tool
from ._writers import (write_ade20k_like, write_cityscapes_like,
                       write_coco_like, write_voc_like)

__all__ = [
    'HungCommandError', 'run_bounded', 'run_tool',
    'MISMATCH_WARNING', 'assert_no_wrapper_names',
    'assert_resumes_in_one_process',
    'assert_student_converts', 'assert_test_py_reproduces', 'logged_metric',
    'format_cfg_options', 'tiny_det_options', 'tiny_seg_data_options',
    'tiny_seg_options',
    'write_ade20k_like', 'write_cityscapes_like', 'write_coco_like',
    'write_voc_like'
]
