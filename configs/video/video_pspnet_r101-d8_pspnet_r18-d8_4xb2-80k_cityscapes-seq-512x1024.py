# Table 5.1 row j, the full method: CE + 0.1 (SF + TL + PF + MF) with the TL
# teacher of temporal_pspnet_r101-d8_... (73.06 mIoU, 70.56 TC).
_base_ = [
    '../_base_/datasets/cityscapes-seq-512x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_80k.py',
    '../_base_/methods/video.py',
    '../_base_/pairs/pspnet_r101-d8_pspnet_r18-d8_cityscapes-512x1024.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt='work_dirs/teacher_tl/pspnet_r101-d8_tl.pth',
    distiller=dict(
        student_recorders=dict(feature=dict(source=_base_.feature_source)),
        teacher_recorders=dict(feature=dict(source=_base_.feature_source))))
