_base_ = [
    '../_base_/datasets/coco-detection-ms-640-800.py',
    '../_base_/default_runtime_det.py',
    '../_base_/schedules/fcos_2x.py',
    '../_base_/methods/cwd_fpn.py',
    '../_base_/pairs/fcos_x101-64x4d_fcos_m-v2-c256_ms-2x_coco.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
