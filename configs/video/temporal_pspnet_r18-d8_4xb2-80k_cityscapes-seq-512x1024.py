# Table 5.1 row e: PSPNet R-18-D8 trained on sequences with CE + TL alone, no
# teacher (70.67 mIoU, 70.46 TC).
_base_ = [
    '../_base_/datasets/cityscapes-seq-512x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_80k.py',
    '../_base_/methods/temporal.py',
    '../_base_/pairs/pspnet_r101-d8_pspnet_r18-d8_cityscapes-512x1024.py',
]
model = dict(architecture=_base_.student)
