# mmseg's runtime (default_scope='mmseg', logging, visualizer, environment)
# for every mmskd segmentation and depth config, which each list this file in
# their `_base_` as mmseg's configs list mmseg's runtime.
_base_ = ['mmseg::_base_/default_runtime.py']
custom_imports = dict(imports=['mmskd'], allow_failed_imports=False)
# Saves the random number generators' states with every checkpoint and puts
# them back on --resume, so that a resumed run continues as the
# uninterrupted one would (see mmskd.engine.RandomStateHook). A config that
# sets its own custom_hooks replaces this list: keep the hook in it.
custom_hooks = [dict(type='mmskd.RandomStateHook')]
