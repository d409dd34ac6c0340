# The full method without MF: CE + 0.1 (SF + TL + PF).
_base_ = [
    './video_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-seq-512x1024.py'
]
model = dict(multi_frame_loss=None)
