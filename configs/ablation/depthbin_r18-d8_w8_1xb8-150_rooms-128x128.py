# The student row of the ablation table `depth` (thesis Table 3.12's
# "Baseline"): ResNet-18-D8 at 1/8 width with a PSP depth-bin head, trained
# alone on the depth maps of the first `num_labelled` rooms, on the demo
# student's schedule cut to 150 iterations (schedules/demo_150.py).
_base_ = [
    '../_base_/models/depthbin_r18-d8_w8.py',
    '../_base_/datasets/rooms-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_150.py',
]
model = dict(data_preprocessor=dict(size=_base_.room_crop))
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
