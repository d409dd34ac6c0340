# Cityscapes 512x1024 with mmseg's pipeline and runtime; every mmskd
# Cityscapes config inherits this next to a method and a teacher/student pair.
_base_ = [
    'mmseg::_base_/datasets/cityscapes.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmskd'], allow_failed_imports=False)
