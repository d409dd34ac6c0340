# Copyright (c) mmskd contributors. All rights reserved.
"""The CPU demo (``make demo``, ``tools/demo.py``) in one package.

It is part of the installed package (the wheel too), so the demo's pieces
are functions to import, not scripts to load: ``tools/demo.py`` and
``tools/analysis_tools/demo_seeds.py`` are thin command lines over it, and
the tests import from here.

- :mod:`.scenes`: the generated street scenes (:func:`write_scenes`) in the
  Cityscapes layout that mmseg's ``CityscapesDataset`` reads (no dataset
  class of its own: configs/demo reads them with ``CheckedCityscapesDataset``
  and ``UnlabelledImageDataset`` of :mod:`mmskd.datasets`);
- :mod:`.runs`: the four training runs, their configs, order and command
  lines;
- :mod:`.background_jobs`: commands run side by side in lanes (:class:`Job`,
  :func:`run_jobs`, :func:`run_queue`; :mod:`mmskd.ablation` runs its
  tables with them too);
- :mod:`.progress_lines`: mmengine's iteration lines, shortened, and
  logged (:func:`progress_reporter`);
- :mod:`.prediction_grid`: several models' labels on several images;
- :mod:`.orchestration`: the whole demo (:func:`run_demo`) and the text it
  ends with;
- :mod:`.seeds`: the table of several runs (seeds) and the demo's criterion.

Nothing here is registered in a registry, so ``import mmskd`` (what a
config's ``custom_imports`` does) need not import this package.
"""
from .background_jobs import Job, available_cores, run_jobs, run_queue
from .orchestration import (FIGURE_SCENES, LOGGER, DemoSettings,
                            draw_predictions, format_results_table,
                            format_summary, run_demo)
from .prediction_grid import save_prediction_grid
from .progress_lines import progress_reporter, short_progress
from .runs import (PHASES, RUNS, TEACHER_PROCESSES, common_options,
                   config_path, copy_unlabelled, count_parameters,
                   final_metric, final_miou, find_root, last_checkpoint,
                   per_process_batch, plan_phases, schedule_of, train_command)
from .scenes import CLASSES_USED, OBJECT_CLASSES, render_scene, write_scenes
from .seeds import (format_seeds_table, load_run, mean_std, seeds_report,
                    verdicts)

__all__ = [
    'CLASSES_USED', 'FIGURE_SCENES', 'Job', 'LOGGER', 'OBJECT_CLASSES',
    'PHASES', 'RUNS', 'TEACHER_PROCESSES', 'DemoSettings', 'available_cores',
    'common_options', 'config_path', 'copy_unlabelled', 'count_parameters',
    'draw_predictions', 'final_metric', 'final_miou', 'find_root',
    'format_results_table', 'format_seeds_table', 'format_summary',
    'last_checkpoint', 'load_run', 'mean_std', 'per_process_batch',
    'plan_phases', 'render_scene', 'run_demo', 'run_jobs', 'run_queue',
    'save_prediction_grid', 'schedule_of', 'seeds_report', 'short_progress',
    'progress_reporter', 'train_command', 'verdicts', 'write_scenes'
]
