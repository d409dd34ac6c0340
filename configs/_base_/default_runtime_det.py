# default_runtime.py for detection: mmdet's runtime (default_scope='mmdet',
# its default hooks, logging, visualizer, environment) with the same mmskd
# keys as default_runtime.py, whose comments say why. mmdet's and mmseg's
# runtimes set the same keys differently, so a config inherits one or the
# other.
_base_ = ['mmdet::_base_/default_runtime.py']
custom_imports = dict(imports=['mmskd'], allow_failed_imports=False)
custom_hooks = [dict(type='mmskd.RandomStateHook')]
