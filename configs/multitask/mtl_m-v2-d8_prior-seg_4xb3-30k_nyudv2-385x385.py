# Thesis Fig. 6.4 "Prior" (PT1): Joint started from the segmentation-only
# network (its encoder and segmentation head; the depth head starts new) at
# lr 0.001, 30k iterations. Train the segmentation-only config first; its
# last checkpoint is the one loaded here.
_base_ = ['./mtl_m-v2-d8_joint_4xb3-30k_nyudv2-385x385.py']
optim_wrapper = dict(optimizer=dict(lr=0.001))
load_from = 'work_dirs/mtl_m-v2-d8_seg-only_4xb3-30k_nyudv2-385x385/' \
    'iter_30000.pth'
