# Thesis Table 6.2 "ResNet-18 + Addition loss" (33.82 mIoU): deep supervision,
# an mmseg FCN head with the task's cross-entropy at the end of each of the
# first three ResNet blocks, each at weight 0.1 (the thesis's deep-supervision
# scale, appendix A.2.2). Dropped at test time, as the auxiliary module.
_base_ = ['./pspnet_r18-d8_4xb4-80k_ade20k-512x512.py']
model = dict(auxiliary_head=[
    dict(
        type='FCNHead',
        in_channels=_base_.stage_channels[stage],
        in_index=stage,
        channels=64,
        num_convs=1,
        concat_input=False,
        num_classes=150,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.1))
    for stage in range(3)
])
