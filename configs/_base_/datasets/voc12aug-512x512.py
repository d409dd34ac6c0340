# Pascal VOC 2012 with SBD's extra annotations ("trainaug", 10,582 images;
# 21 classes; val 1,449) at 512x512 crops, mmseg's pipeline and runtime: the
# thesis's VOC setting (CWD Table 4.7) and the KA paper's, mmseg's VOC aug
# model zoo's data. Every mmskd VOC config inherits this next to a schedule,
# a method and a pair.
_base_ = [
    'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmskd'], allow_failed_imports=False)
