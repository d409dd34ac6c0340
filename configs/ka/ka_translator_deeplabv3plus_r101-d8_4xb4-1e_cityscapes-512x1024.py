_base_ = [
    '../_base_/datasets/cityscapes-512x1024.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/translator_1epoch.py',
    '../_base_/methods/ka_translator.py',
    '../_base_/pairs/'
    'deeplabv3plus_r101-d8_deeplabv3_m-v2-d16_cityscapes-512x1024.py',
]
model = dict(
    architecture=_base_.student,  # read for its data_preprocessor only
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt)
# One pass over train-fine, 4 images per GPU, no validation.
train_dataloader = dict(
    batch_size=4, sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = None
val_evaluator = None
