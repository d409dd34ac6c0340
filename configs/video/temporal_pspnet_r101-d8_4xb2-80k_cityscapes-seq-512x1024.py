# Step 1 of thesis ch. 5: the teacher PSPNet R-101-D8 (from its model-zoo
# weights) fine-tuned on sequences with CE + TL (Table 5.3: 79.53 mIoU, 71.68
# TC). Then: tools/model_converters/convert_to_student.py
# WORK_DIR/iter_80000.pth work_dirs/teacher_tl/pspnet_r101-d8_tl.pth, the
# video configs' teacher.
_base_ = [
    '../_base_/datasets/cityscapes-seq-512x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_80k.py',
    '../_base_/methods/temporal.py',
    '../_base_/pairs/pspnet_r101-d8_pspnet_r18-d8_cityscapes-512x1024.py',
]
model = dict(architecture=dict(_base_.teacher, init_cfg=dict(
    type='Pretrained', checkpoint=_base_.teacher_ckpt)))
