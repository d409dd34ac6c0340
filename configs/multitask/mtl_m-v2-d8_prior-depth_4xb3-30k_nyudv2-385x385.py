# Thesis Fig. 6.4 "Prior" (PT2): Joint started from the depth-only network
# at lr 0.001, 30k iterations (train the depth-only config first).
_base_ = ['./mtl_m-v2-d8_joint_4xb3-30k_nyudv2-385x385.py']
optim_wrapper = dict(optimizer=dict(lr=0.001))
load_from = 'work_dirs/mtl_m-v2-d8_depth-only_4xb3-30k_nyudv2-385x385/' \
    'iter_30000.pth'
