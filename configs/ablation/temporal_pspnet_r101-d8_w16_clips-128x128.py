# The video teacher of the ablation table `video` (thesis ch. 5, step 1):
# the demo's teacher network trained with CE + TL on every generated clip
# with its labels, on the demo teacher's schedule (SGD, lr 0.05, poly, 400
# iterations). The thesis fine-tunes a model-zoo teacher with TL; here it
# starts from scratch, as the demo's teacher does.
_base_ = [
    '../_base_/datasets/clips-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_300.py',
    '../_base_/methods/temporal.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
model = dict(
    architecture=_base_.teacher,
    flow_source=dict(_delete_=True, type='PrecomputedFlow'))
train_cfg = dict(max_iters=400, val_interval=400)
