# Table 5.1 row g: CE + 0.1 (SF + TL) (71.36 mIoU, 70.13 TC).
_base_ = [
    './video_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-seq-512x1024.py'
]
model = dict(pair_frame_loss=None, multi_frame_loss=None)
