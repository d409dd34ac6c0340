# Pascal VOC 2012 with SBD's extra annotations ("trainaug", 10,582 images;
# 21 classes) at 512x512 crops, mmseg's pipeline and runtime; every mmskd
# VOC config inherits this next to a schedule, a method and a pair.
_base_ = [
    'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmskd'], allow_failed_imports=False)
