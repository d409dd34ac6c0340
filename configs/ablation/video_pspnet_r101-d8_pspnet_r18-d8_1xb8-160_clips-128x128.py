# "+TL+SF+PF+MF" of the ablation table `video` (thesis Table 5.1 row j, the
# full method): CE + 0.1 (SF + TL + PF + MF) from the TL-trained teacher
# (temporal_pspnet_r101-d8_w16_clips-128x128.py), on the table's 160
# iterations. MF pools 4x4-pixel nodes: a 4x4 grid of the 16x16 head feature,
# as the thesis's 16x16-pixel nodes make a 4x8 grid of Cityscapes' 64x128.
_base_ = [
    '../_base_/datasets/clips-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_160.py',
    '../_base_/methods/video.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
model = dict(
    architecture=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    flow_source=dict(_delete_=True, type='PrecomputedFlow'),
    multi_frame_loss=dict(node_size=4))
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
