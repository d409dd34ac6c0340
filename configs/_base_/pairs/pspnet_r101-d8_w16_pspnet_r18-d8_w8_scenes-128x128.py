# The CPU demo's pair (configs/demo/): teacher PSPNet R-101-D8 at 1/4 width,
# student PSPNet R-18-D8 at 1/8 width, both from scratch on the generated
# scenes. There is no model-zoo teacher: tools/demo.py and
# tools/analysis_tools/ablation.py train it and pass its checkpoint as
# --cfg-options model.teacher_ckpt=PATH.
student = dict(
    cfg_path='{{fileDirname}}/../../demo/pspnet_r18-d8_w8_scenes-128x128.py')
teacher = dict(
    cfg_path='{{fileDirname}}/../../demo/pspnet_r101-d8_w16_scenes-128x128.py')
teacher_ckpt = None
