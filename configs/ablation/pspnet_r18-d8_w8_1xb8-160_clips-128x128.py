# The per-frame student of the ablation table `video` (thesis Table 5.1's
# baseline): "+TL" without TL, i.e. CE alone on the labelled frames,
# evaluated frame by frame for mIoU and TC.
_base_ = ['./temporal_pspnet_r18-d8_w8_1xb8-160_clips-128x128.py']
model = dict(temporal_loss=None)
