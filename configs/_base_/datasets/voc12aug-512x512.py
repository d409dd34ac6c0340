# Pascal VOC 2012 with the SBD augmentation (10,582 training images, 21
# classes, 512x512 crops; val 1,449) with mmseg's pipeline and runtime: the
# thesis's VOC setting (CWD Table 4.7), mmseg's VOC aug model zoo's data.
_base_ = [
    'mmseg::_base_/datasets/pascal_voc12_aug.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmskd'], allow_failed_imports=False)
