_base_ = [
    '../_base_/datasets/cityscapes-512x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/deeplab_90k.py',
    '../_base_/methods/ka.py',
    '../_base_/pairs/'
    'deeplabv3plus_r101-d8_deeplabv3_m-v2-d16_cityscapes-512x1024.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    # Written by phase 1, configs/ka/ka_translator_..._cityscapes-512x1024.py.
    translator_ckpt='work_dirs/ka_translator_deeplabv3plus_r101-d8_4xb4-1e_'
    'cityscapes-512x1024/epoch_1.pth')
# The paper's 16 images a step (mmseg's Cityscapes base loads 2 per GPU).
train_dataloader = dict(batch_size=4)
