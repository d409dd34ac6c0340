# COCO 2017 detection with mmdet's single-scale pipeline (1333x800), CocoMetric
# (bbox) on val2017, and mmdet's runtime (default_scope='mmdet'); every mmskd
# COCO config inherits this next to a method and a teacher/student pair.
# Students trained on another pipeline (e.g. multi-scale) get it from their
# pair base, in the leaf config.
_base_ = [
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmskd'], allow_failed_imports=False)
# Saves the random number generators' states with every checkpoint and puts
# them back on --resume, so that a resumed run continues as the
# uninterrupted one would (see mmskd.engine.RandomStateHook). A config that
# sets its own custom_hooks replaces this list: keep the hook in it.
custom_hooks = [dict(type='mmskd.RandomStateHook')]
