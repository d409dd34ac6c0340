# PSPNet R-101-D8 on CamVid, the teacher of the CamVid distillation configs
# (trained alone: `tools/train.py` this config, whose last checkpoint they
# read from work_dirs/). It starts from mmseg's Cityscapes PSPNet R-101-D8
# (79.76 mIoU) with the classifiers re-initialised for CamVid's 11 classes
# (their shapes differ, so loading skips them with a warning); the papers do
# not say how their CamVid teacher was trained.
_base_ = [
    'mmseg::_base_/models/pspnet_r50-d8.py',
    '../_base_/datasets/camvid-360x480.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k.py',
]
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(360, 480)),
    backbone=dict(depth=101),
    decode_head=dict(num_classes=11),
    auxiliary_head=dict(num_classes=11))
load_from = 'https://download.openmmlab.com/mmsegmentation/v0.5/pspnet/pspnet_r101-d8_512x1024_80k_cityscapes/pspnet_r101-d8_512x1024_80k_cityscapes_20200606_112211-e1e1100f.pth'  # noqa
